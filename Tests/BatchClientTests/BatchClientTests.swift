import Foundation
import Synchronization
import Testing

@testable import BatchClient

/// The client's pure parts: the progress line, the polling pace, the rate
/// window, reading a status envelope, the outcomes' exit statuses.
struct ProgressLineTests {
    let running = BatchProgress(
        batchID: "batch-x", status: "running", total: 1000, succeeded: 400, failed: 10, pending: 586, processing: 4, percentage: 41)

    @Test func aRunningBatchShowsCountsRateAndETA() {
        let line = ProgressLine().render(running, rate: 12.5, width: 200)
        #expect(line == "running  [#########---------------]   41.0%  410/1000  ok 400  failed 10  running 4  pending 586  12.5/s  ETA 0:48")
    }

    @Test func anEndedBatchHasNoETAAndAFullBar() {
        var done = running
        (done.status, done.succeeded, done.failed, done.pending, done.processing) = ("completed", 990, 10, 0, 0)
        let line = ProgressLine().render(done, rate: 250, width: 200)
        #expect(line.hasPrefix("completed  [########################]  100.0%  1000/1000"))
        #expect(line.hasSuffix("250/s"))
    }

    @Test func theLineFitsTheTerminal() {
        #expect(ProgressLine().render(running, rate: 3, width: 40).count == 40)
        #expect(ProgressLine().render(running, rate: nil, width: 200).contains("ETA") == false)
    }

    @Test func durationsReadAsClocks() {
        #expect(ProgressLine.duration(47) == "0:47")
        #expect(ProgressLine.duration(725) == "12:05")
        #expect(ProgressLine.duration(10930) == "3:02:10")
        #expect(ProgressLine.duration(.infinity) == "--")
    }
}

struct PollingTests {
    @Test func theNextPollWaitsWhatTheCacheSaysWithinBounds() {
        let pace = PollingPace(minimum: 1, maximum: 30)
        #expect(pace.delay(cacheRemaining: 0) == 1)
        #expect(pace.delay(cacheRemaining: 7) == 7)
        #expect(pace.delay(cacheRemaining: 600) == 30)
    }

    @Test func theRateIsOverTheWindow() {
        var window = RateWindow(span: 10)
        window.observe(finished: 0, at: 0)
        #expect(window.perSecond == nil)
        window.observe(finished: 50, at: 5)
        #expect(window.perSecond == 10)
        window.observe(finished: 50, at: 20)
        window.observe(finished: 80, at: 22)
        #expect(window.perSecond == 15)
    }

    @Test func outcomesHaveTheirOwnExitStatus() {
        #expect(BatchOutcome.allCases.map(\.exitCode) == [0, 3, 4, 5])
        #expect(BatchOutcome(status: "running") == nil)
        #expect(Set([ClientError.usage(""), .unavailable(""), .refused(status: 400, code: "", message: ""), .io("")].map(\.exitCode)).count == 4)
    }

    @Test func aStatusEnvelopeIsRead() throws {
        let body = #"""
            {"success":true,"data":{"batch_id":"batch-1","status":"running","progress":{"percentage":41.5,"completed":400,"failed":15,"pending":580,"processing":5,"total":1000},
             "timing":{"estimated_completion":"2026-12-03T10:00:00Z"}},"metadata":{"cache_ttl":5,"cache_remaining":3}}
            """#
        let progress = try #require(BatchProgress(envelope: Array(body.utf8)))
        #expect(progress.total == 1000 && progress.succeeded == 400 && progress.failed == 15 && progress.finished == 415)
        #expect(progress.cacheRemaining == 3 && progress.percentage == 41.5 && progress.estimatedCompletion == "2026-12-03T10:00:00Z")
        #expect(BatchProgress(envelope: Array(#"{"success":false}"#.utf8)) == nil)
    }
}

/// `APIClient`'s politeness against a tiny local server: a 429 with Retry-After
/// is asked again only after exactly that long.
struct APIClientTests {
    @Test func retryAfterIsWaitedExactly() throws {
        let server = try OneShotServer(answers: [
            "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 2\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\nConnection: close\r\n\r\n{\"ok\":true}",
        ])
        let client = try APIClient(url: "http://127.0.0.1:\(server.port)", key: "k")
        let waits = Mutex<[Double]>([])
        client.sleep = { seconds in waits.withLock { $0.append(seconds) } }
        let answer = try client.send("GET", "/v1/status")
        #expect(answer.status == 200 && answer.object["ok"] as? Bool == true)
        #expect(waits.withLock { $0 } == [2])
        #expect(server.requests.allSatisfy { $0.contains("X-Api-Key: k") || $0.contains("x-api-key: k") })
    }

    @Test func badURLsAndMissingKeysAreUsageErrors() {
        #expect(throws: ClientError.self) { _ = try APIClient(url: "ftp://x", key: "k") }
        #expect(throws: ClientError.self) { _ = try APIClient(url: "http://127.0.0.1:1", key: "") }
    }
}
