import BatchStore
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// batchd killed with SIGKILL at random moments while a batch runs, and restarted:
/// in the end every item is in exactly one final state, the counters equal what the
/// items say, nothing was counted twice, `max_concurrent` was never exceeded, and
/// the database is intact. Once on one node over SQLite, once on three nodes over
/// PostgreSQL (a random node killed each time, the same six scheduler threads in all).
@Suite(.serialized) struct CrashTests {
    enum Shape: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case oneNodeOnSQLite, threeNodesOnPostgres
        var testDescription: String { rawValue }
        var nodes: Int { self == .oneNodeOnSQLite ? 1 : 3 }
    }

    @Test(arguments: Shape.allCases) func killedAtRandomMomentsLosesAndDoublesNothing(_ shape: Shape) throws {
        let folder = NSTemporaryDirectory() + "batchd-crash-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let record = folder + "/runs.log"
        var options = TestStack.Options()
        // Each run records its start and end (nanoseconds) and takes about 20 ms.
        options.processors = #"""
            {"exec": {"rec": {"command": ["/bin/sh", "-c",
              "echo \"start $BATCHD_ITEM_ID $(date +%s%N) $PPID\" >> \#(record); sleep 0.02; echo \"end $BATCHD_ITEM_ID $(date +%s%N)\" >> \#(record); echo '{\"ok\": true}'"]}}}
            """#
        options.extraArguments = ["--scheduler-workers", "\(6 / shape.nodes)", "--lease-seconds", "2", "--rescue-seconds", "1"]
        options.postgres = shape == .threeNodesOnPostgres
        options.nodes = shape.nodes
        let stack = try TestStack(options)
        defer { stack.stop() }

        let items = "[" + (1...500).map { #"{"content":"item \#($0)","custom_id":"c\#($0)"}"# }.joined(separator: ",") + "]"
        let created = try stack.sendJSON(
            "POST", "/v1/batches", key: stack.clientKey, #"{"processor":"exec:rec","items":\#(items),"configuration":{"max_concurrent":4}}"#)
        #expect(created.status == 201, "\(created.text)")
        let id = try #require((created.json["data"] as? [String: Any])?["batch_id"] as? String)

        // When each node (by pid) was killed.
        var kills: [(pid: Int32, time: Int64)] = []
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<4 {
            usleep(UInt32.random(in: 300_000...1_200_000, using: &generator))
            try stack.killAndRestartNode(Int.random(in: 1...shape.nodes, using: &generator)) { kills.append(($0, Self.nanoseconds())) }
        }
        try stack.waitUntil(seconds: 120, "the batch to complete after the crashes") {
            guard let result = try? stack.get("/v1/batches/\(id)", key: stack.clientKey), result.status == 200 else { return false }
            return (result.json["data"] as? [String: Any])?["status"] as? String == "completed"
        }
        _ = try stack.stopBatchd()

        let db: any StoreConnection
        if let postgres = stack.postgres {
            db = try postgres.connect()
        } else {
            db = try SQLiteConnection(path: stack.directory + "/var/batchd.sqlite3", readOnly: true)
            #expect(try db.statement("PRAGMA integrity_check").firstRow { $0.text(0) } == "ok")
        }
        let states = try db.statement("SELECT status, count(*) FROM items WHERE batch_id = ? GROUP BY status").bind(.text(id)).rows {
            "\($0.text(0))=\($0.int(1))"
        }
        #expect(states == ["succeeded=500"])
        let counters = try db.statement(
            "SELECT status, total_items, n_pending, n_processing, n_succeeded, n_failed, n_cancelled, n_expired FROM batches WHERE id = ?"
        ).bind(.text(id)).firstRow { "\($0.text(0)) \($0.int(1)) \($0.int(2)) \($0.int(3)) \($0.int(4)) \($0.int(5)) \($0.int(6)) \($0.int(7))" }
        #expect(counters == "completed 500 0 0 500 0 0 0")
        // Summed item time equals the items' own: no result was counted twice.
        let sums = try db.statement("SELECT b.item_time_ms = (SELECT sum(duration_ms) FROM items WHERE batch_id = b.id) FROM batches b WHERE id = ?")
            .bind(.text(id)).firstRow { $0.int(0) }
        #expect(sums == 1)

        // Replay the record: concurrency never above 4. A run cut short by a kill
        // has no end line; it counts as running until the restart after it.
        let lines = try String(contentsOfFile: record, encoding: .utf8).split(separator: "\n")
        var events: [(time: Int64, delta: Int)] = []
        var open: [String: [(time: Int64, pid: Int32)]] = [:]
        var completedRuns: Set<String> = []
        for line in lines {
            let parts = line.split(separator: " ")
            guard parts.count >= 3, let time = Int64(parts[2]) else { continue }
            let item = String(parts[1])
            if parts[0] == "start" {
                open[item, default: []].append((time, parts.count > 3 ? Int32(parts[3]) ?? 0 : 0))
                events.append((time, 1))
            } else if var starts = open[item], !starts.isEmpty {
                starts.removeLast()
                open[item] = starts
                events.append((time, -1))
                completedRuns.insert(item)
            }
        }
        // A run cut short by a kill has no end line: it counts as running until its node was killed.
        for starts in open.values {
            for start in starts {
                let end = kills.first(where: { $0.pid == start.pid && $0.time > start.time })?.time ?? Int64.max
                events.append((end, -1))
            }
        }
        events.sort { $0.time == $1.time ? $0.delta < $1.delta : $0.time < $1.time }
        var running = 0
        var highest = 0
        for event in events {
            running += event.delta
            highest = max(highest, running)
        }
        #expect(highest <= 4, "max_concurrent 4 was exceeded: \(highest) runs at once")
        #expect(completedRuns.count == 500)
        // The kills did land mid-run: results died with batchd and their items ran again.
        let starts = lines.filter { $0.hasPrefix("start ") }.count
        #expect(starts > 500, "no item ran twice; the kills landed between runs and the test proved nothing")
    }

    static func nanoseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
    }
}
