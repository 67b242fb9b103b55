import Foundation
import Testing

/// `batchcli` against the real stack, from a shell with only a URL and a key:
/// create → wait → results (and a resumed download); `wait` under a limit that
/// forces 429s never asks before `Retry-After` (nginx's own log says when each
/// request came); the progress bar's last frame under a pseudo-terminal.
@Suite(.serialized) struct ClientCLITests {
    struct Run {
        var status: Int32
        var out: String
        var err: String
    }

    /// Runs batchcli through a shell with BATCHD_URL and BATCHD_KEY set, output and errors apart.
    func batchcli(_ stack: TestStack, _ arguments: String, seconds: Double = 120) throws -> Run {
        let base = stack.directory + "/cli-" + UUID().uuidString.prefix(8)
        let script = """
            BATCHD_URL=http://127.0.0.1:\(stack.port) BATCHD_KEY=\(stack.clientKey) \(TestStack.binDirectory)/batchcli \(arguments) \
            > \(base).out 2> \(base).err; echo $? > \(base).code
            """
        _ = try stack.run("/bin/sh", ["-c", script], seconds: seconds)
        let read = { (suffix: String) in (try? String(contentsOfFile: base + suffix, encoding: .utf8)) ?? "" }
        return Run(status: Int32(read(".code").trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1, out: read(".out"), err: read(".err"))
    }

    @Test func createWaitResultsRoundTripAndResume() throws {
        let stack = try TestStack()
        defer { stack.stop() }
        let rows = stack.directory + "/rows.jsonl"
        try (1...300).map { #"{"content":"row \#($0)","custom_id":"r\#($0)"}"# }.joined(separator: "\n").write(
            toFile: rows, atomically: true, encoding: .utf8)
        let created = try batchcli(stack, "create --items \(rows) --processor noop --name cli --max-concurrent 8")
        #expect(created.status == 0, "\(created.err)")
        let id = created.out.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(id.hasPrefix("batch-"))

        let waited = try batchcli(stack, "wait \(id)")
        #expect(waited.status == 0, "\(waited.err)")
        let changes = waited.out.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(!changes.isEmpty && changes.last?["status"] as? String == "completed" && changes.last?["succeeded"] as? Int == 300)

        let file = stack.directory + "/results.jsonl"
        let fetched = try batchcli(stack, "results \(id) -o \(file)")
        #expect(fetched.status == 0, "\(fetched.err)")
        let whole = try Data(contentsOf: URL(fileURLWithPath: file))
        #expect(whole.split(separator: UInt8(ascii: "\n")).count == 300)
        // A download cut in the middle is finished by running the command again.
        try whole.prefix(whole.count / 3).write(to: URL(fileURLWithPath: file))
        let resumed = try batchcli(stack, "results \(id) -o \(file)")
        #expect(resumed.status == 0 && resumed.err.contains("resumed"), "\(resumed.err)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: file)) == whole)
        let again = try batchcli(stack, "results \(id) -o \(file) --output json")
        #expect(again.status == 0 && again.err.contains("already complete"), "\(again.err)")

        // status, list, the state actions and their exit statuses.
        let status = try batchcli(stack, "status \(id) --output json")
        #expect((try? JSONSerialization.jsonObject(with: Data(status.out.utf8)) as? [String: Any])?["status"] as? String == "completed")
        #expect(try batchcli(stack, "list").out.contains(id))
        let refused = try batchcli(stack, "pause \(id)")
        #expect(refused.status == 65 && refused.err.contains("409"), "\(refused.err)")
        #expect(try batchcli(stack, "status batch-nosuchbatch").status == 65)
        #expect(try batchcli(stack, "status x --url ftp://nowhere").status == 64)
        #expect(try batchcli(stack, "create").status == 64)

        // A cancelled batch: wait exits with its own status.
        let slow = try batchcli(stack, "create --items \(rows) --processor noop --output json")
        let slowID = try #require(
            (try? JSONSerialization.jsonObject(with: Data(slow.out.utf8)) as? [String: Any])?["batch_id"] as? String, "\(slow.out) \(slow.err)")
        _ = try batchcli(stack, "cancel \(slowID)")
        let cancelled = try batchcli(stack, "wait \(slowID)")
        #expect(cancelled.status == 4 || cancelled.status == 0, "\(cancelled.out)")
    }

    @Test func waitUnderALimitNeverAsksBeforeRetryAfter() throws {
        var options = TestStack.Options()
        options.tenantLimits = (20, 60, 1)  // one request every 3 s
        options.processors = #"{"exec": {"slow": {"command": ["/bin/sh", "-c", "sleep 0.3; echo '{\"ok\": true}'"]}}}"#
        let stack = try TestStack(options)
        defer { stack.stop() }
        let id = try stack.createBatch(items: 15, processor: "exec:slow", configuration: #"{"max_concurrent":1}"#)
        let waited = try batchcli(stack, "wait \(id) --minimum-interval 0.1 --verbose", seconds: 180)
        #expect(waited.status == 0, "\(waited.err)")
        #expect(waited.err.contains("Retry-After"), "the limit never refused a poll: \(waited.err)")

        // nginx's log: when each poll came, its status and Retry-After.
        try stack.waitUntil(seconds: 5, "the access log") { stack.readLog("nginx-access.log").contains("\(id)?metrics_only=true") }
        usleep(1_200_000)
        let polls = stack.readLog("nginx-access.log").split(separator: "\n").filter { $0.contains("\(id)?metrics_only=true") }.compactMap {
            line -> (status: Int, retryAfter: Double?, at: Double)? in
            let fields = line.split(separator: " ")
            guard let quote = fields.firstIndex(where: { $0.hasSuffix("\"") && $0.hasPrefix("HTTP/") }), quote + 1 < fields.count,
                let status = Int(fields[quote + 1]),
                let at = fields.first(where: { $0.hasPrefix("ms=") }).flatMap({ Double($0.dropFirst(3)) })
            else { return nil }
            let retryAfter = fields.first(where: { $0.hasPrefix("ra=") }).flatMap { Double($0.dropFirst(3)) }
            return (status, retryAfter, at)
        }
        #expect(polls.contains { $0.status == 429 })
        for (previous, next) in zip(polls, polls.dropFirst()) where previous.status == 429 {
            let retryAfter = try #require(previous.retryAfter)
            #expect(next.at - previous.at >= retryAfter - 0.01, "asked again after \(next.at - previous.at) s, Retry-After was \(retryAfter)")
        }
        #expect(polls.last?.status == 200)
    }

    @Test func theProgressBarOnATerminal() throws {
        let stack = try TestStack()
        defer { stack.stop() }
        let id = try stack.createBatch(items: 40)
        // Python's pty module gives batchcli a terminal and keeps everything it drew.
        let transcript = stack.directory + "/tty.out"
        let script = """
            import os, pty, sys
            os.environ.update(BATCHD_URL="http://127.0.0.1:\(stack.port)", BATCHD_KEY="\(stack.clientKey)", COLUMNS="160")
            out = open(sys.argv[1], "wb")
            def read(fd):
                data = os.read(fd, 4096); out.write(data); return data
            status = pty.spawn(["\(TestStack.binDirectory)/batchcli", "wait", "\(id)"], read)
            out.close(); sys.exit(os.waitstatus_to_exitcode(status))
            """
        try script.write(toFile: stack.directory + "/pseudo_terminal.py", atomically: true, encoding: .utf8)
        _ = try stack.run("/usr/bin/python3", [stack.directory + "/pseudo_terminal.py", transcript], seconds: 60)
        let drawn = try String(contentsOfFile: transcript, encoding: .utf8)
        let lastFrame = try #require(drawn.components(separatedBy: "\u{1B}[2K").last?.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(lastFrame.hasPrefix("completed  [########################]  100.0%  40/40  ok 40  failed 0"), "\(lastFrame)")
        #expect(!drawn.contains("{\""), "a terminal gets the bar, not JSON lines")
    }
}
