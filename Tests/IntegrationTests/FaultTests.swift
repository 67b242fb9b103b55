import BatchStore
import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Faults that must not hide or leave things half done: a batchd killed in the
/// middle of an upload leaves a partial blob, which the next start removes
/// while every blob an item owns stays.
@Suite(.serialized) struct FaultTests {
    @Test func partialUploadBlobsAreSweptAtStart() throws {
        let stack = try TestStack()
        defer { stack.stop() }
        let created = try stack.upload([("kept.txt", Array("three words here".utf8))])
        #expect(created.status == 201, "\(created.text)")
        let blobs = stack.directory + "/var/blobs"
        let owned = try FileManager.default.contentsOfDirectory(atPath: blobs)
        #expect(owned.count == 1)
        // What a batchd killed while streaming an upload leaves: a blob no item names.
        let partial = blobs + "/item_partial0000000000.blob"
        _ = FileManager.default.createFile(atPath: partial, contents: Data(repeating: 0x61, count: 4096))
        stack.killBatchd()
        try stack.startBatchd()
        try stack.waitUntil(seconds: 15, "the partial blob swept") { !FileManager.default.fileExists(atPath: partial) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: blobs) == owned)
        try stack.waitUntil(seconds: 10, "batchd answering") { (try? stack.get("/healthz").status) == 200 }
        #expect(stack.readLog("batchd.log").contains("orphaned upload blobs removed"))
    }

    /// Creates (each with its Idempotency-Key) and uploads keep coming while Redis
    /// is killed and restarted and batchd is SIGKILLed and restarted: every answer
    /// is the JSON envelope, every 201 is still stored afterwards, a create retried
    /// with its key after a failure is stored once, and no blob is left orphaned.
    @Test func nothingAnsweredIsLostAcrossRedisAndBatchdFaults() throws {
        let stack = try TestStack()
        defer { stack.stop() }
        let answers = Mutex<[(key: String, status: Int, json: Bool, id: String?)]>([])
        let stop = Atomic<Bool>(false)
        let finished = DispatchGroup()
        for client in 0..<4 {
            finished.enter()
            Thread {
                defer { finished.leave() }
                var n = 0
                while !stop.load(ordering: .relaxed) {
                    n += 1
                    let key = "fault-\(client)-\(n)"
                    let result: HTTPResult?
                    if n % 3 == 0 {
                        result = try? stack.send(
                            "POST", "/v1/batches", key: stack.clientKey,
                            headers: ["Content-Type": "multipart/form-data; boundary=XB", "Idempotency-Key": key],
                            body: multipartForm([("f\(n).txt", Array("words \(n)".utf8))], fields: [("collection_id", "faults")]))
                    } else {
                        result = try? stack.send(
                            "POST", "/v1/batches", key: stack.clientKey, headers: ["Content-Type": "application/json", "Idempotency-Key": key],
                            body: Array(#"{"processor":"noop","items":[{"content":"item \#(n)"}]}"#.utf8))
                    }
                    guard let result else { continue }
                    let id = (result.json["data"] as? [String: Any])?["batch_id"] as? String
                    answers.withLock { $0.append((key, result.status, !result.json.isEmpty, id)) }
                    usleep(20_000)
                }
            }.start()
        }
        usleep(500_000)
        try stack.shell("kill -9 $(cat \"$STACK/run/redis.pid\")")
        usleep(700_000)
        try stack.startRedis()
        usleep(500_000)
        stack.killBatchd()
        usleep(300_000)
        try stack.startBatchd()
        try stack.waitUntil(seconds: 15, "batchd answering") { (try? stack.get("/healthz").status) == 200 }
        usleep(700_000)
        stop.store(true, ordering: .relaxed)
        finished.wait()

        let seen = answers.withLock { $0 }
        let created = seen.filter { $0.status == 201 }
        #expect(created.count > 20, "too few creates to mean anything: \(created.count)")
        let notJSON = seen.filter { !$0.json }.map(\.status)
        #expect(notJSON.isEmpty, "answers that were not JSON: \(notJSON)")
        #expect(seen.allSatisfy { $0.status == 201 || $0.status >= 500 }, "\(Set(seen.map(\.status)))")
        // Every 201 is stored.
        let db = try SQLiteConnection(path: stack.directory + "/var/batchd.sqlite3", readOnly: true)
        let stored = Set(try db.statement("SELECT id FROM batches").rows { $0.text(0) })
        let missing = created.compactMap(\.id).filter { !stored.contains($0) }
        #expect(missing.isEmpty, "created but gone: \(missing)")
        // A create that failed, retried with its key, is stored once.
        for failed in seen.filter({ $0.status >= 500 }).prefix(5) {
            let retry = try stack.send(
                "POST", "/v1/batches", key: stack.clientKey, headers: ["Content-Type": "application/json", "Idempotency-Key": failed.key],
                body: Array(#"{"processor":"noop","items":[{"content":"retried"}]}"#.utf8))
            #expect(retry.status == 201 || retry.status == 409, "\(retry.status) \(retry.text)")
        }
        let keys = try db.statement("SELECT key, count(*) FROM idempotency_keys GROUP BY key HAVING count(*) > 1").rows { $0.text(0) }
        #expect(keys.isEmpty)
        // Blobs: each one an item owns, none left over once batchd has swept at start.
        let blobs = Set(try FileManager.default.contentsOfDirectory(atPath: stack.directory + "/var/blobs"))
        let owned = Set(
            try db.statement("SELECT blob_path FROM items WHERE blob_path IS NOT NULL").rows { ($0.text(0) as NSString).lastPathComponent })
        #expect(blobs.subtracting(owned).isEmpty, "orphaned blobs: \(blobs.subtracting(owned))")
        print(
            "fault suite: \(seen.count) answers, all JSON; \(created.count) creates, 0 missing; \(seen.filter { $0.status >= 500 }.count) 5xx; \(blobs.count) blobs, \(blobs.subtracting(owned).count) orphaned"
        )
    }

    /// The disk stops taking writes. As root no file mode stops one, so batchd's own
    /// file-size limit is set to 0 (every write to a file then fails with EFBIG, as a
    /// full disk fails with ENOSPC): `/readyz` says unavailable, creates and uploads are
    /// answered 503 in the envelope with Retry-After, reads still answer, batchd stays
    /// up, no partial blob is left; once writes work again creates succeed and every
    /// batch stored before is still there.
    @Test func unwritableDiskIsAnsweredAndNothingIsLost() throws {
        let stack = try TestStack()
        defer { stack.stop() }
        var stored: [String] = []
        for n in 0..<5 {
            let created = try stack.sendJSON("POST", "/v1/batches", key: stack.clientKey, #"{"processor":"noop","items":[{"content":"kept \#(n)"}]}"#)
            #expect(created.status == 201, "\(created.text)")
            if let id = (created.json["data"] as? [String: Any])?["batch_id"] as? String { stored.append(id) }
        }
        let uploaded = try stack.upload([("kept.txt", Array("three words here".utf8))])
        #expect(uploaded.status == 201, "\(uploaded.text)")
        let blobsBefore = Set(try FileManager.default.contentsOfDirectory(atPath: stack.directory + "/var/blobs"))
        let pid = try #require(stack.batchd?.pid)

        try stack.limitFileSize(of: pid, to: 0)
        let ready = try stack.get("/readyz")
        #expect(ready.status == 503, "\(ready.text)")
        #expect(ready.json["status"] as? String == "unavailable")
        var answers: [HTTPResult] = []
        for n in 0..<4 {
            answers.append(
                try stack.send(
                    "POST", "/v1/batches", key: stack.clientKey, headers: ["Content-Type": "application/json", "Idempotency-Key": "unwritable-\(n)"],
                    body: Array(#"{"processor":"noop","items":[{"content":"refused"}]}"#.utf8)))
            answers.append(try stack.upload([("refused-\(n).txt", Array("words that cannot be kept".utf8))]))
        }
        for answer in answers {
            #expect(answer.status == 503, "\(answer.status) \(answer.text)")
            #expect(answer.json["code"] as? String == "service_unavailable", "\(answer.text)")
            #expect((answer.json["suggestion"] as? String)?.contains("Idempotency-Key") == true, "\(answer.text)")
            #expect(answer.headers["retry-after"] != nil, "\(answer.headers)")
        }
        let read = try stack.get("/v1/batches/\(stored[0])", key: stack.clientKey)
        #expect(read.status == 200, "\(read.text)")
        #expect(stack.batchd?.exitStatus() == nil, "batchd exited")
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: stack.directory + "/var/blobs")) == blobsBefore)

        try stack.limitFileSize(of: pid, to: nil)
        try stack.waitUntil(seconds: 10, "ready again") { (try? stack.get("/readyz").status) == 200 }
        let again = try stack.send(
            "POST", "/v1/batches", key: stack.clientKey, headers: ["Content-Type": "application/json", "Idempotency-Key": "unwritable-0"],
            body: Array(#"{"processor":"noop","items":[{"content":"refused"}]}"#.utf8))
        #expect(again.status == 201, "\(again.text)")
        #expect(stack.batchd?.pid == pid)
        let db = try SQLiteConnection(path: stack.directory + "/var/batchd.sqlite3", readOnly: true)
        let ids = Set(try db.statement("SELECT id FROM batches").rows { $0.text(0) })
        #expect(Set(stored).isSubset(of: ids))
        #expect(ids.count == stored.count + 2, "stored: \(ids.count)")
        let metrics = try stack.get("/metrics", key: stack.adminKey).text
        let sqliteDowns = metrics.split(separator: "\n").first { $0.hasPrefix(#"batchd_dependency_down_total{dependency="sqlite"} "#) }
        #expect(sqliteDowns.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0 >= 1, "\(sqliteDowns ?? "no sqlite line")")
    }
}
