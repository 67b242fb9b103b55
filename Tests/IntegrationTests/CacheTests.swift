import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The Redis status cache through nginx, with real Redis: hits and misses,
/// honest TTLs, invalidation after every action, live TTL changes, flushes,
/// Redis going away and coming back, stampedes and tenant isolation.
@Suite(.serialized) struct CacheTests {
    static let processors = #"""
        {"exec": {
          "slow": {"command": ["/bin/sleep", "30"]},
          "quick": {"command": ["/bin/sh", "-c", "sleep 1; echo '{}'"]},
          "fail": {"command": ["/bin/sh", "-c", "exit 3"]}
        }}
        """#

    func stack(threads: Int = 48, extra: [String] = []) throws -> TestStack {
        var options = TestStack.Options()
        options.processors = Self.processors
        options.threads = threads
        options.extraArguments = ["--scheduler-workers", "4"] + extra
        return try TestStack(options)
    }

    @Test func hitsMissesAndAnHonestCountdown() throws {
        let stack = try stack()
        defer { stack.stop() }
        let id = try stack.createBatch(#"{"processor":"noop","items":[{"content":"a"}]}"#)
        try stack.waitForStatus(id, ["completed"])
        _ = try stack.send("DELETE", "/v1/admin/cache?batch_id=\(id)", key: stack.adminKey)

        let first = try stack.get("/v1/batches/\(id)", key: stack.clientKey)
        #expect(first.xCache == "MISS")
        #expect(first.cacheTTL == 300)
        #expect(first.cacheRemaining == 300)
        #expect(first.headers["cache-control"] == "private, max-age=300")
        // Spelled-out defaults and another parameter order are the same entry.
        let second = try stack.get("/v1/batches/\(id)?include_errors=true&include_job_details=false", key: stack.clientKey)
        #expect(second.xCache == "HIT")
        #expect(second.text.contains(#""request_id":"\#(second.headers["x-request-id"] ?? "?")""#))
        #expect(second.metadata["request_id"] as? String != first.metadata["request_id"] as? String)
        let reordered = try stack.get("/v1/batches/\(id)?fields=timing,progress", key: stack.clientKey)
        #expect(reordered.xCache == "MISS")
        #expect(try stack.get("/v1/batches/\(id)?fields=progress,timing", key: stack.clientKey).xCache == "HIT")

        usleep(1_300_000)
        let later = try stack.get("/v1/batches/\(id)", key: stack.clientKey)
        #expect(later.xCache == "HIT")
        let remaining = try #require(later.cacheRemaining)
        #expect(remaining <= 299 && remaining >= 297)
        #expect(later.cacheTTL == 300)
        #expect(later.headers["cache-control"] == "private, max-age=\(remaining)")
        // The copy this process keeps answers a document polled again (no Redis round trip).
        let mirrored = try stack.metric("batchd_status_mirror_answers_total")
        for _ in 0..<5 { #expect(try stack.get("/v1/batches/\(id)", key: stack.clientKey).xCache == "HIT") }
        #expect(try stack.metric("batchd_status_mirror_answers_total") > mirrored)
        #expect(try stack.metric("batchd_status_mirror_subscribed") == 1 && stack.metric("batchd_status_mirror_entries") >= 1)

        // The dialect views are cached the same way, with headers only.
        for path in ["/v1/batch/\(id)", "/compat/check/v1/batch/\(id)", "/compat/talonic/v1/batches/\(id)"] {
            let miss = try stack.get(path, key: stack.clientKey)
            let hit = try stack.get(path, key: stack.clientKey)
            #expect(miss.status == 200 && hit.status == 200)
            #expect(hit.xCache == "HIT", "\(path)")
            #expect(hit.body == miss.body, "\(path)")
        }
        // A running batch gets the shorter TTL.
        let running = try stack.createBatch(#"{"processor":"exec:slow","items":[{"content":"a"}]}"#)
        try stack.waitForStatus(running, ["running"])
        _ = try stack.send("DELETE", "/v1/admin/cache?batch_id=\(running)", key: stack.adminKey)
        let active = try stack.get("/v1/batches/\(running)", key: stack.clientKey)
        #expect(active.cacheTTL == 30 && active.cacheRemaining == 30)
        #expect(try stack.send("PUT", "/v1/batches/\(running)/state", key: stack.clientKey).status == 200)
        // Figures for admins: each process adds its hits and misses once a second.
        var statistics: [String: Any] = [:]
        try stack.waitUntil(seconds: 5, "figures in Redis") {
            let figures = (try? stack.get("/v1/admin/cache", key: stack.adminKey))?.json["data"] as? [String: Any]
            statistics = figures?["statistics"] as? [String: Any] ?? [:]
            return (statistics["hits"] as? Int ?? 0) >= 6
        }
        #expect((statistics["hits"] as? Int ?? 0) >= 6)
        #expect((statistics["misses"] as? Int ?? 0) >= 5)
        #expect((statistics["entries"] as? Int ?? 0) >= 4)
        #expect((statistics["memory_used_bytes"] as? Int ?? 0) > 0)
        #expect(statistics["hit_ratio"] is Double)
    }

    @Test func everyActionIsVisibleOnTheVeryNextRequest() throws {
        let stack = try stack()
        defer { stack.stop() }
        func read(_ id: String) throws -> [String: Any] {
            let answer = try stack.get("/v1/batches/\(id)", key: stack.clientKey)
            #expect(answer.status == 200)
            return answer.json["data"] as? [String: Any] ?? [:]
        }
        func warm(_ id: String) throws {
            _ = try read(id)
            #expect(try stack.get("/v1/batches/\(id)", key: stack.clientKey).xCache == "HIT")
        }
        func act(_ id: String, _ action: String) throws {
            let answer = try stack.sendJSON("PUT", "/v1/batches/\(id)/state", key: stack.clientKey, #"{"action":"\#(action)"}"#)
            #expect(answer.status == 200, "\(action): \(answer.text)")
        }
        let id = try stack.createBatch(#"{"processor":"exec:slow","submit":false}"#)
        try warm(id)
        #expect(
            try stack.sendJSON("POST", "/v1/batches/\(id)/items", key: stack.clientKey, #"{"items":[{"content":"x"},{"content":"y"}]}"#).status == 200
        )
        #expect((try read(id)["progress"] as? [String: Any])?["total"] as? Int == 2)
        try warm(id)
        try act(id, "submit")
        #expect(["created", "running"].contains(try read(id)["status"] as? String))
        try stack.waitForStatus(id, ["running"])
        try warm(id)
        try act(id, "pause")
        #expect(try read(id)["status"] as? String == "paused")
        try warm(id)
        try act(id, "resume")
        #expect(["created", "running"].contains(try read(id)["status"] as? String))
        try warm(id)
        // Dialect views are invalidated too.
        _ = try stack.get("/compat/talonic/v1/batches/\(id)", key: stack.clientKey)
        _ = try stack.get("/v1/batch/\(id)", key: stack.clientKey)
        try act(id, "cancel")
        #expect(try read(id)["status"] as? String == "cancelled")
        #expect(try stack.get("/compat/talonic/v1/batches/\(id)", key: stack.clientKey).json["status"] as? String == "cancelled")
        #expect(try stack.get("/v1/batch/\(id)", key: stack.clientKey).json["status"] as? String == "cancelled")
        try warm(id)
        #expect(try stack.send("DELETE", "/v1/batches/\(id)", key: stack.clientKey).status == 200)
        #expect(try stack.get("/v1/batches/\(id)", key: stack.clientKey).status == 404)

        // A batch the scheduler finishes: cached while running (30 s), shown completed at once.
        let quick = try stack.createBatch(#"{"processor":"exec:quick","items":[{"content":"a"}]}"#)
        try stack.waitForStatus(quick, ["running"])
        try warm(quick)
        let started = Date()
        try stack.waitForStatus(quick, ["completed"], seconds: 10)
        #expect(Date().timeIntervalSince(started) < 5)

        // retry_failed on a completed batch with failures.
        let failing = try stack.createBatch(#"{"processor":"exec:fail","items":[{"content":"a"}]}"#)
        try stack.waitForStatus(failing, ["completed"])
        try warm(failing)
        try act(failing, "retry_failed")
        #expect(try read(failing)["status"] as? String != "completed" || (try read(failing)["progress"] as? [String: Any])?["failed"] as? Int == 1)
    }

    @Test func ttlChangesReachEveryWorkerWithinASecond() throws {
        let stack = try stack()
        defer { stack.stop() }
        let id = try stack.createBatch(#"{"processor":"noop","items":[{"content":"a"}]}"#)
        try stack.waitForStatus(id, ["completed"])
        // Sixteen distinct queries, sent together so they land on many workers.
        let queries = (0..<16).map { i in
            "?fields="
                + ["batch_id", "status", "progress", "timing"].enumerated().filter { (i >> $0.offset) & 1 == 1 }.map(\.element).joined(separator: ",")
        }
        .map { $0 == "?fields=" ? "?include_job_details=true" : $0 }
        func ttls() -> [Int?] {
            concurrently(queries.count) { i in (try? stack.get("/v1/batches/\(id)\(queries[i])", key: stack.clientKey))?.cacheTTL }
        }
        let put = try stack.sendJSON("PUT", "/v1/admin/cache", key: stack.adminKey, #"{"ttl":{"status":{"finished":11}}}"#)
        #expect(put.status == 200, "\(put.text)")
        usleep(1_000_000)
        #expect(Set(ttls()) == [11])

        // batchctl writes SQLite directly: every worker picks it up within a second too.
        _ = try stack.batchctl(["cache", "set", "--kind", "status", "--state", "completed", "13"])
        usleep(1_000_000)
        _ = try stack.send("DELETE", "/v1/admin/cache", key: stack.adminKey)
        #expect(Set(ttls()) == [13])
        #expect(try stack.batchctl(["cache", "show"]).contains("status\tcompleted\t13"))

        // 0 turns caching off: BYPASS with nothing stored.
        #expect(try stack.sendJSON("PUT", "/v1/admin/cache", key: stack.adminKey, #"{"ttl":{"all":{"all":0}}}"#).status == 200)
        usleep(1_000_000)
        let off = try stack.get("/v1/batches/\(id)", key: stack.clientKey)
        #expect(off.xCache == "BYPASS" && off.cacheTTL == 0 && off.cacheRemaining == 0)
        #expect(try stack.get("/v1/batches/\(id)", key: stack.clientKey).xCache == "BYPASS")
        // Out of bounds is a 400 naming the cell.
        let bad = try stack.sendJSON("PUT", "/v1/admin/cache", key: stack.adminKey, #"{"ttl":{"status":{"running":90000}}}"#)
        #expect(bad.status == 400)
        #expect((bad.json["details"] as? [String: Any])?["field"] as? String == "ttl.status.running")
        #expect(try stack.sendJSON("PUT", "/v1/admin/cache", key: stack.clientKey, #"{"ttl":{"status":{"running":9}}}"#).status == 403)
        // A tenant override applies to that tenant only.
        #expect(try stack.sendJSON("PUT", "/v1/admin/cache", key: stack.adminKey, #"{"reset":true,"ttl":{"status":{"completed":21}}}"#).status == 200)
        #expect(
            try stack.sendJSON("PUT", "/v1/admin/cache", key: stack.adminKey, #"{"tenant":"\#(stack.tenantID)","ttl":{"status":{"completed":17}}}"#)
                .status == 200)
        usleep(1_000_000)
        #expect(try stack.get("/v1/batches/\(id)", key: stack.clientKey).cacheTTL == 17)
        let shown = try stack.get("/v1/admin/cache?tenant=\(stack.tenantID)", key: stack.adminKey).json["data"] as? [String: Any]
        #expect(((shown?["effective"] as? [String: Any])?["status"] as? [String: Any])?["completed"] as? Int == 17)
        #expect(((shown?["defaults"] as? [String: Any])?["status"] as? [String: Any])?["completed"] as? Int == 21)
    }

    @Test func flushRemovesEntries() throws {
        let stack = try stack()
        defer { stack.stop() }
        let id = try stack.createBatch(#"{"processor":"noop","items":[{"content":"a"}]}"#)
        try stack.waitForStatus(id, ["completed"])
        _ = try stack.get("/v1/batches/\(id)", key: stack.clientKey)
        #expect(try stack.get("/v1/batches/\(id)", key: stack.clientKey).xCache == "HIT")
        let flushed = try stack.send("DELETE", "/v1/admin/cache?tenant=\(stack.tenantID)&batch_id=\(id)", key: stack.adminKey)
        #expect(flushed.status == 200)
        #expect(((flushed.json["data"] as? [String: Any])?["flushed_entries"] as? Int ?? 0) >= 1)
        #expect(try stack.get("/v1/batches/\(id)", key: stack.clientKey).xCache == "MISS")
        _ = try stack.batchctl(["cache", "flush", "--tenant", stack.tenantID])
        #expect(try stack.get("/v1/batches/\(id)", key: stack.clientKey).xCache == "MISS")
        #expect(try stack.send("DELETE", "/v1/admin/cache?tenant=ten-nosuchtenant", key: stack.adminKey).status == 404)
        #expect(try stack.send("DELETE", "/v1/admin/cache?batch_id=bad@id", key: stack.adminKey).status == 400)
    }

    @Test func redisGoingAwayCostsSpeedNeverCorrectness() throws {
        let stack = try stack()
        defer {
            try? stack.pauseRedis(false)
            stack.stop()
        }
        let id = try stack.createBatch(#"{"processor":"exec:slow","items":[{"content":"a"}]}"#)
        try stack.waitForStatus(id, ["running"])
        _ = try stack.get("/v1/batches/\(id)", key: stack.clientKey)
        #expect(try stack.get("/v1/batches/\(id)", key: stack.clientKey).xCache == "HIT")

        // Redis stalls: answers come fast, from this process's copy while it last heard
        // from Redis within a second (`StatusCacheMirror`), then from SQLite, marked BYPASS.
        try stack.pauseRedis(true)
        let started = Date()
        let early = try stack.get("/v1/batches/\(id)", key: stack.clientKey)
        #expect(early.status == 200 && ["HIT", "BYPASS"].contains(early.xCache))
        usleep(1_200_000)
        let stalled = try stack.get("/v1/batches/\(id)", key: stack.clientKey)
        #expect(Date().timeIntervalSince(started) < 2.5)
        #expect(stalled.status == 200 && stalled.xCache == "BYPASS" && stalled.cacheRemaining == 0)
        // A change while Redis cannot be told: its stale entry is still in Redis...
        #expect(try stack.sendJSON("PUT", "/v1/batches/\(id)/state", key: stack.clientKey, #"{"action":"cancel"}"#).status == 200)
        try stack.pauseRedis(false)
        // ...but is never served: the kept invalidation runs first.
        for _ in 0..<5 {
            let after = try stack.get("/v1/batches/\(id)", key: stack.clientKey)
            #expect((after.json["data"] as? [String: Any])?["status"] as? String == "cancelled")
        }
        // Redis killed and restarted: BYPASS meanwhile, then back to caching by itself.
        try stack.stopRedis()
        let down = try stack.get("/v1/batches/\(id)", key: stack.clientKey)
        #expect(down.status == 200 && down.xCache == "BYPASS")
        #expect(try stack.get("/readyz").json["status"] as? String == "degraded")
        try stack.startRedis()
        try stack.waitUntil(seconds: 5, "caching again") { (try? stack.get("/v1/batches/\(id)", key: stack.clientKey))?.xCache == "HIT" }
    }

    @Test func twoHundredConcurrentMissesBuildOnlyAHandfulOfTimes() throws {
        let stack = try stack(threads: 64, extra: ["--status-build-delay-ms", "100"])
        defer { stack.stop() }
        let id = try stack.createBatch(#"{"processor":"noop","items":[{"content":"a"}]}"#)
        try stack.waitForStatus(id, ["completed"])
        _ = try stack.send("DELETE", "/v1/admin/cache", key: stack.adminKey)
        let before = try stack.metric("batchd_status_builds_total")
        let results = concurrently(200) { _ in (try? stack.get("/v1/batches/\(id)", key: stack.clientKey))?.status }
        let builds = try stack.metric("batchd_status_builds_total") - before
        #expect(results.allSatisfy { $0 == 200 })
        #expect(builds <= 5, "\(builds) builds for 200 concurrent misses")
    }

    @Test func tenantsNeverShareEntries() throws {
        let stack = try stack()
        defer { stack.stop() }
        let (_, otherKey) = try stack.makeTenant("beta")
        let id = try stack.createBatch(#"{"processor":"noop","items":[{"content":"a"}]}"#)
        try stack.waitForStatus(id, ["completed"])
        _ = try stack.get("/v1/batches/\(id)", key: stack.clientKey)
        #expect(try stack.get("/v1/batches/\(id)", key: stack.clientKey).xCache == "HIT")
        // Cached for acme, still 404 for beta, in every dialect.
        #expect(try stack.get("/v1/batches/\(id)", key: otherKey).status == 404)
        #expect(try stack.get("/v1/batch/\(id)", key: otherKey).status == 404)
        #expect(try stack.get("/compat/talonic/v1/batches/\(id)", key: otherKey).status == 404)
    }
}
