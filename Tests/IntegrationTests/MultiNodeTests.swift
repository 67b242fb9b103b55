import BatchModel
import BatchStore
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Several batchd nodes on one PostgreSQL behind one nginx, as `deploy/run
/// --store postgres --nodes N` runs them: the nodes share the work, the API
/// answers the same from any of them, and a node killed with SIGKILL mid-batch
/// costs nothing: its leases are rescued by the others, no item is counted twice
/// and `max_concurrent` holds throughout.
@Suite(.serialized) struct MultiNodeTests {
    @Test func threeNodesShareTheWorkAndSurviveAKill() throws {
        let folder = NSTemporaryDirectory() + "batchd-nodes-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let record = folder + "/runs.log"
        var options = TestStack.Options()
        options.postgres = true
        options.nodes = 3
        // Each run records which batchd ran it ($PPID) and takes about 30 ms.
        options.processors = #"""
            {"exec": {"rec": {"command": ["/bin/sh", "-c", "echo \"$PPID $BATCHD_ITEM_ID\" >> \#(record); sleep 0.03; echo '{\"ok\": true}'"]}}}
            """#
        options.extraArguments = ["--scheduler-workers", "2", "--lease-seconds", "2", "--rescue-seconds", "1"]
        let stack = try TestStack(options)
        defer { stack.stop() }
        let nodePIDs = Set([stack.batchd!.pid] + stack.otherNodes.map(\.pid))
        let service = (try stack.get("/v1/status", key: stack.clientKey).json["data"] as? [String: Any])?["service"] as? [String: Any]
        #expect(service?["store"] as? String == "postgres" && service?["sqlite"] as? String == "up", "\(service ?? [:])")

        var ids: [String] = []
        for batch in 0..<3 {
            let items = "[" + (1...100).map { #"{"content":"b\#(batch) item \#($0)"}"# }.joined(separator: ",") + "]"
            let created = try stack.sendJSON(
                "POST", "/v1/batches", key: stack.clientKey, #"{"processor":"exec:rec","items":\#(items),"configuration":{"max_concurrent":3}}"#)
            #expect(created.status == 201, "\(created.text)")
            ids.append(try #require((created.json["data"] as? [String: Any])?["batch_id"] as? String))
        }
        // Sample how many items of each batch run at once while the nodes work.
        let connection = try #require(stack.postgres).connect()
        var overLimit = 0
        func sample() throws {
            let running = try connection.query("SELECT count(*) FROM items WHERE status = 'processing' GROUP BY batch_id")
            overLimit += running.rows.filter { (Int($0[0] ?? "0") ?? 0) > 3 }.count
        }
        for _ in 0..<10 {
            try sample()
            usleep(50_000)
        }
        // One node dies mid-batch; its leases run out and the others rescue them.
        let victim = stack.otherNodes[0]
        victim.signal(SIGKILL)
        _ = victim.wait(seconds: 5)
        try stack.waitUntil(seconds: 60, "every batch completed") {
            try? sample()
            return ids.allSatisfy { id in
                ((try? stack.get("/v1/batches/\(id)", key: stack.clientKey).json["data"] as? [String: Any])?["status"] as? String) == "completed"
            }
        }
        #expect(overLimit == 0, "max_concurrent exceeded in \(overLimit) samples")
        for id in ids {
            let data = try #require(try stack.get("/v1/batches/\(id)", key: stack.clientKey).json["data"] as? [String: Any])
            let progress = try #require(data["progress"] as? [String: Any])
            #expect(progress["completed"] as? Int == 100, "\(progress)")
            #expect(progress["failed"] as? Int == 0, "\(progress)")
        }
        let counted = try connection.query("SELECT count(*), count(DISTINCT id) FROM items WHERE status = 'succeeded'")
        #expect(counted.int(0, 0) == 300 && counted.int(0, 1) == 300)
        let counters = try connection.query("SELECT sum(n_succeeded), sum(n_processing), sum(n_pending) FROM batches")
        #expect(counters.rows.first ?? [] == ["300", "0", "0"])
        // Every node ran items: the work was shared.
        let runs = ((try? String(contentsOfFile: record, encoding: .utf8)) ?? "").split(separator: "\n")
        let runners = Set(runs.compactMap { $0.split(separator: " ").first.flatMap { Int32($0) } })
        #expect(runners.isSubset(of: nodePIDs) && runners.count == 3, "items ran in \(runners), nodes \(nodePIDs)")
    }

    /// Fairness holds across nodes: a tenant with 100 times the items of another,
    /// created first, does not make the other wait for it. Every node picks the
    /// tenant with the fewest items in flight, so the small batch is done while
    /// most of the large one still waits.
    @Test func aTenantWithAHundredTimesTheItemsDoesNotStarveAnother() throws {
        var options = TestStack.Options()
        options.postgres = true
        options.nodes = 3
        options.extraArguments = ["--scheduler-workers", "2", "--max-items", "100000"]
        let stack = try TestStack(options)
        defer { stack.stop() }
        _ = try stack.batchctl(["tenant", "create", "small"])
        _ = try stack.batchctl(["tenant", "limits", "small", "--limit", "100000", "--burst", "10000"])
        let smallKey = try stack.batchctl(["key", "create", "--tenant", "small", "--role", "client", "--secret-only"])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        func create(_ key: String, items: Int) throws -> String {
            let list = "[" + (1...items).map { #"{"content":"item \#($0)"}"# }.joined(separator: ",") + "]"
            let created = try stack.sendJSON(
                "POST", "/v1/batches", key: key, #"{"processor":"noop","items":\#(list),"configuration":{"max_concurrent":64}}"#)
            #expect(created.status == 201, "\(created.text.prefix(300))")
            return try #require((created.json["data"] as? [String: Any])?["batch_id"] as? String)
        }
        let large = try create(stack.clientKey, items: 30_000)
        let small = try create(smallKey, items: 300)
        try stack.waitForStatus(small, ["completed"], seconds: 60, key: smallKey)
        let connection = try #require(stack.postgres).connect()
        let done = try connection.query("SELECT n_succeeded, total_items FROM batches WHERE id = $1", [.text(large)])
        let (finished, total) = (done.int(0, 0) ?? -1, done.int(0, 1) ?? -1)
        #expect(total == 30_000)
        #expect(finished < 15_000, "the large batch had \(finished) of \(total) items done when the small one completed")
        // The large batch still completes, counted exactly.
        try stack.waitForStatus(large, ["completed"], seconds: 120)
        #expect(
            try connection.query("SELECT n_succeeded, n_pending, n_processing FROM batches WHERE id = $1", [.text(large)]).rows.first ?? [] == [
                "30000", "0", "0",
            ])
    }

    /// Uploads go to the blob folder every node names (`--blob-dir`, on several
    /// machines one shared mount), so whichever node claims an item reads its file.
    @Test func uploadsLandInTheSharedBlobFolderAndAnyNodeReadsThem() throws {
        let shared = NSTemporaryDirectory() + "batchd-shared-blobs-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: shared, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: shared) }
        var options = TestStack.Options()
        options.postgres = true
        options.nodes = 3
        options.extraArguments = ["--blob-dir", shared]
        let stack = try TestStack(options)
        defer { stack.stop() }
        let files = (1...9).map { ("file\($0).txt", Array("the text of file \($0)\n".utf8)) }
        let created = try stack.upload(files)
        #expect(created.status == 201, "\(created.text.prefix(300))")
        let id = try #require((created.json["data"] as? [String: Any])?["batch_id"] as? String)
        try stack.waitForStatus(id, ["completed"], seconds: 30)
        let outcomes = try stack.itemOutcomes(id)
        #expect(outcomes.count == 9 && outcomes.values.allSatisfy { $0.status == "succeeded" }, "\(outcomes)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: shared).filter { $0.hasSuffix(".blob") }.count == 9)
        let local = (try? FileManager.default.contentsOfDirectory(atPath: stack.directory + "/var/blobs")) ?? []
        #expect(local.isEmpty, "\(local)")
        // Every node announces itself: /readyz (from whichever node answers) lists the three.
        var names: [String] = []
        try stack.waitUntil(seconds: 10, "three nodes in /readyz") {
            let nodes = (try? stack.get("/readyz"))?.json["nodes"] as? [[String: Any]] ?? []
            names = nodes.compactMap { $0["name"] as? String }
            return names.count == 3
        }
        #expect(Set(names.map { $0.split(separator: "/").last.map(String.init) ?? "" }).isSuperset(of: ["n2", "n3"]), "\(names)")
    }

    /// What lives in Redis holds across nodes: a status document one node built is
    /// a hit on the others, a state change made through one node is seen through
    /// all, a flush and a TTL change apply everywhere, and a tenant's limit is one
    /// budget however many nodes answer (requests spread over all three, checked in
    /// their logs).
    @Test func cacheInvalidationsFlushesTTLsAndLimitsHoldAcrossNodes() throws {
        var options = TestStack.Options()
        options.postgres = true
        options.nodes = 3
        let stack = try TestStack(options)
        defer { stack.stop() }
        let created = try stack.sendJSON("POST", "/v1/batches", key: stack.clientKey, #"{"processor":"noop","submit":false}"#)
        let id = try #require((created.json["data"] as? [String: Any])?["batch_id"] as? String)
        let path = "/v1/batches/\(id)"
        func poll(_ times: Int = 12) throws -> [HTTPResult] { try (0..<times).map { _ in try stack.get(path, key: stack.clientKey) } }
        func served() -> [Int] {
            ["batchd.log", "batchd-n2.log", "batchd-n3.log"].map { stack.readLog($0).components(separatedBy: "path=\(path) ").count - 1 }
        }

        // Built once, then a hit whichever node answers.
        let warm = try poll()
        #expect(warm.filter { $0.xCache == "MISS" }.count == 1 && warm.filter { $0.xCache == "HIT" }.count == 11, "\(warm.map(\.xCache))")
        // (Logs are written in the background: give them a moment.)
        try stack.waitUntil(seconds: 5, "requests logged by every node: \(served())") { served().allSatisfy { $0 > 0 } }
        // A state change through one node invalidates the document for all.
        #expect(try stack.sendJSON("PUT", path + "/state", key: stack.clientKey, #"{"action":"submit"}"#).status == 200)
        let after = try poll()
        #expect(after.allSatisfy { ($0.json["data"] as? [String: Any])?["status"] as? String != "accumulating" }, "\(after.map(\.text))")
        // A flush through one node empties the cache for all: the next answer is built again.
        _ = try poll()
        #expect(try stack.send("DELETE", "/v1/admin/cache", key: stack.adminKey).status == 200)
        #expect(try stack.get(path, key: stack.clientKey).xCache == "MISS")
        // TTLs set through one node reach every node within their refresh (a second).
        #expect(try stack.sendJSON("PUT", "/v1/admin/cache", key: stack.adminKey, #"{"ttl":{"all":{"all":0}}}"#).status == 200)
        try stack.waitUntil(seconds: 5, "every node bypassing the cache") { ((try? poll(9)) ?? []).allSatisfy { $0.xCache == "BYPASS" } }

        // One tenant's burst of 20 is one budget across the three nodes.
        _ = try stack.batchctl(["tenant", "create", "limited"])
        _ = try stack.batchctl(["tenant", "limits", "limited", "--limit", "1000", "--burst", "20"])
        let key = try stack.batchctl(["key", "create", "--tenant", "limited", "--role", "client", "--secret-only"])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let answers = try (0..<45).map { _ in try stack.get("/v1/status", key: key).status }
        let allowed = answers.filter { $0 == 200 }.count
        #expect((20...21).contains(allowed) && answers.filter { $0 == 429 }.count == 45 - allowed, "\(answers)")
    }

    /// Rate-limit leases with two batchd processes sharing one Redis: each takes slices
    /// of a tenant's budget and spends them locally, yet the two together admit no more
    /// than the budget (plus what refills meanwhile), with far fewer Redis decisions
    /// than requests; and a node killed while holding a slice loses at most that slice
    /// (at most a quarter of what was left when it took it: 50 of 200 here) of the
    /// tenant's budget — never admits more.
    @Test func rateLimitLeasesHoldTheBudgetAcrossTwoProcessesAndADeadOneLosesAtMostASlice() throws {
        var options = TestStack.Options()
        options.postgres = true
        options.nodes = 2
        let stack = try TestStack(options)
        defer { stack.stop() }
        func tenantKey(_ name: String) throws -> String {
            let (_, key) = try stack.makeTenant(name)
            // 3,600 an hour: one cell refills a second; a burst of 200.
            _ = try stack.batchctl(["tenant", "limits", name, "--limit", "3600", "--burst", "200"])
            return key
        }
        /// `count` GETs of /v1/status from 8 threads through nginx (both nodes): the statuses.
        func burst(_ key: String, _ count: Int) -> [Int] {
            concurrently(8) { lane in
                stride(from: lane, to: count, by: 8).map { _ in (try? stack.get("/v1/status", key: key).status) ?? 0 }
            }.flatMap { $0 }
        }
        func decisionsInRedis() throws -> Int {
            let stats = try stack.shell("redis-cli -s \"$STACK/run/redis.sock\" INFO commandstats")
            // Redis ends its lines with CRLF, one Character in Swift: split on any newline.
            let line = stats.split(whereSeparator: \.isNewline).first { $0.hasPrefix("cmdstat_evalsha:") } ?? ""
            return Int(line.split(separator: ",").first?.split(separator: "=").last ?? "") ?? 0
        }

        let steady = try tenantKey("steady")
        let before = try decisionsInRedis()
        let started = Date()
        let answers = burst(steady, 500)
        let refilled = Int(Date().timeIntervalSince(started).rounded(.up)) + 1
        let admitted = answers.filter { $0 == 200 }.count
        #expect(answers.allSatisfy { $0 == 200 || $0 == 429 }, "\(Set(answers))")
        #expect(admitted >= 200 && admitted <= 200 + refilled, "admitted \(admitted) of a budget of 200 (+\(refilled) refilled)")
        let decisions = try decisionsInRedis() - before
        #expect(decisions > 0 && decisions < 500 / 2, "\(decisions) Redis script calls for 500 requests")

        // A node killed holding a slice: what it held is lost to the tenant, nothing more.
        let doomed = try tenantKey("doomed")
        let startedDoomed = Date()
        let warm = burst(doomed, 48).filter { $0 == 200 }.count
        stack.otherNodes[0].signal(SIGKILL)
        _ = stack.otherNodes[0].wait(seconds: 10)
        var drained = 0
        for _ in 0..<6 {
            drained += burst(doomed, 80).filter { $0 == 200 }.count
        }
        let refilledDoomed = Int(Date().timeIntervalSince(startedDoomed).rounded(.up)) + 1
        let total = warm + drained
        #expect(total <= 200 + refilledDoomed, "admitted \(total) of 200 (+\(refilledDoomed) refilled)")
        let slice = min(RateLimitLeaseSizing.maximumCells, 200 / 4)
        #expect(total >= 200 - slice, "admitted \(total): the dead node held more than one slice")
        print(
            "rate-limit leases, 2 nodes: \(admitted) of 500 admitted (budget 200, +\(refilled) s), \(decisions) Redis decisions; killed node: \(total) admitted (\(warm) before the kill)"
        )
    }

    /// PostgreSQL restarting (every connection cut) costs a few failed requests
    /// answered in the envelope, never a node: each reconnects, the API answers
    /// again, and a batch running across the restart completes with every item
    /// counted once.
    @Test func aPostgresRestartCostsRetriesNotNodes() throws {
        var options = TestStack.Options()
        options.postgres = true
        options.nodes = 2
        options.processors = #"{"exec": {"slow": {"command": ["/bin/sh", "-c", "sleep 0.05; echo '{}'"]}}}"#
        options.extraArguments = ["--scheduler-workers", "2", "--lease-seconds", "3", "--rescue-seconds", "1"]
        let stack = try TestStack(options)
        defer { stack.stop() }
        let pids = [stack.batchd?.pid] + stack.otherNodes.map { Optional($0.pid) }
        let items = "[" + (1...200).map { #"{"content":"item \#($0)"}"# }.joined(separator: ",") + "]"
        let created = try stack.sendJSON("POST", "/v1/batches", key: stack.clientKey, #"{"processor":"exec:slow","items":\#(items)}"#)
        let id = try #require((created.json["data"] as? [String: Any])?["batch_id"] as? String)
        usleep(500_000)
        try #require(stack.postgres).restart(downSeconds: 2)
        // Whatever was asked while the database was away was answered in the envelope, then all is well again.
        try stack.waitUntil(seconds: 30, "the API answering again") { (try? stack.get("/v1/batches/\(id)", key: stack.clientKey).status) == 200 }
        // Each worker whose connection died costs at most the one request that found it dead.
        let statuses = try (0..<100).map { _ in try stack.get("/v1/batches/\(id)", key: stack.clientKey).status }
        #expect(statuses.suffix(20).allSatisfy { $0 == 200 }, "\(statuses)")
        try stack.waitForStatus(id, ["completed"], seconds: 60)
        let connection = try #require(stack.postgres).connect()
        let counters = try connection.query("SELECT n_succeeded, n_failed, n_pending, n_processing FROM batches WHERE id = $1", [.text(id)])
        #expect(counters.rows.first ?? [] == ["200", "0", "0", "0"])
        #expect(try connection.query("SELECT count(*) FROM items WHERE batch_id = $1 AND status = 'succeeded'", [.text(id)]).int(0, 0) == 200)
        #expect([stack.batchd?.exitStatus()] + stack.otherNodes.map { $0.exitStatus() } == [nil, nil], "a node died")
        #expect([stack.batchd?.pid] + stack.otherNodes.map { Optional($0.pid) } == pids)
        #expect(!stack.readLog("batchd.log").contains("level=critical"))
        // The outage is in the log, the same failure once (not once a retry), and so is its end.
        let log = stack.readLog("batchd.log")
        let failures = log.components(separatedBy: "msg=\"background pass failed\"").count - 1
        #expect(failures > 0 && failures < 30, "\(failures) failure lines")
        #expect(log.contains("msg=\"background pass works again\""))
    }

    /// Moving from one machine to several: `batchctl migrate-store` copies a stopped
    /// batchd's SQLite store into PostgreSQL, and the copy answers the same.
    @Test func aSingleNodeStoreMovesToPostgres() throws {
        let stack = try TestStack()
        defer { stack.stop() }
        let id = try stack.createBatch(items: 40)
        try stack.waitUntil(seconds: 20, "completed") {
            ((try? stack.get("/v1/batches/\(id)", key: stack.clientKey).json["data"] as? [String: Any])?["status"] as? String) == "completed"
        }
        #expect(try stack.stopBatchd() == 0)
        let server = try TemporaryPostgres()
        let output = try stack.batchctl(["migrate-store", "--to-postgres", server.conninfo])
        #expect(output.contains("items\t40"), "\(output)")
        let connection = try server.connect()
        let counted = try connection.query("SELECT status, n_succeeded, total_items FROM batches WHERE id = $1", [.text(id)])
        #expect(counted.rows.first ?? [] == ["completed", "40", "40"])
        #expect(try connection.query("SELECT count(*) FROM api_keys").int(0, 0) == 2)
        // Into a store that is no longer empty: refused, nothing doubled.
        #expect(throws: (any Error).self) { try stack.batchctl(["migrate-store", "--to-postgres", server.conninfo]) }
        #expect(try connection.query("SELECT count(*) FROM items").int(0, 0) == 40)
    }
}
