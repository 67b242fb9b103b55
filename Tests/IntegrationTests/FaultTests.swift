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
        FileManager.default.createFile(atPath: partial, contents: Data(repeating: 0x61, count: 4096))
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
        let owned = Set(try db.statement("SELECT blob_path FROM items WHERE blob_path IS NOT NULL").rows { ($0.text(0) as NSString).lastPathComponent })
        #expect(blobs.subtracting(owned).isEmpty, "orphaned blobs: \(blobs.subtracting(owned))")
        print("fault suite: \(seen.count) answers, all JSON; \(created.count) creates, 0 missing; \(seen.filter { $0.status >= 500 }.count) 5xx; \(blobs.count) blobs, \(blobs.subtracting(owned).count) orphaned")
    }
}
