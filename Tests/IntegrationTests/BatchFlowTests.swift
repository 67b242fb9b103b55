import BatchCodecs
import BatchModel
import BatchStore
import Foundation
import TestSupport
import Testing

/// Batches through the real stack: created over HTTP, run by batchd's own
/// scheduler, controlled and listed through nginx.
@Suite(.serialized) struct BatchFlowTests {
    func items(_ count: Int) -> String {
        "[" + (1...count).map { #"{"content":"item \#($0)","custom_id":"c\#($0)"}"# }.joined(separator: ",") + "]"
    }

    func waitForStatus(_ stack: TestStack, _ id: String, _ status: String, seconds: Double = 20) throws -> [String: Any] {
        var last: [String: Any] = [:]
        try stack.waitUntil(seconds: seconds, "batch \(id) \(status)") {
            guard let result = try? stack.get("/v1/batches/\(id)", key: stack.clientKey), result.status == 200 else { return false }
            last = result.json["data"] as? [String: Any] ?? [:]
            return last["status"] as? String == status
        }
        return last
    }

    /// On SQLite, and on PostgreSQL (the store several nodes share): the same API, the same answers.
    @Test(arguments: ["sqlite", "postgres"]) func aNoopBatchRunsToCompletion(store: String) throws {
        var options = TestStack.Options()
        options.postgres = store == "postgres"
        let stack = try TestStack(options)
        defer { stack.stop() }
        let created = try stack.sendJSON(
            "POST", "/v1/batches", key: stack.clientKey,
            #"{"batch_name":"flow","processor":"noop","items":\#(items(300)),"configuration":{"max_concurrent":20}}"#)
        #expect(created.status == 201, "\(created.text)")
        let id = try #require((created.json["data"] as? [String: Any])?["batch_id"] as? String)
        #expect(created.headers["location"] == "/v1/batches/\(id)")
        let done = try waitForStatus(stack, id, "completed")
        let progress = try #require(done["progress"] as? [String: Any])
        #expect(progress["completed"] as? Int == 300)
        #expect(progress["total"] as? Int == 300)
        #expect(progress["percentage"] as? Double == 100)
        #expect((done["timing"] as? [String: Any])?["completed_at"] is String)

        // The same batch in every dialect, through nginx.
        let results = try stack.get("/v1/batches/\(id)/results?page=2&page_size=100", key: stack.clientKey)
        #expect(results.status == 200)
        #expect(((results.json["data"] as? [String: Any])?["job_results"] as? [Any])?.count == 100)
        #expect(((results.json["data"] as? [String: Any])?["pagination"] as? [String: Any])?["total_pages"] as? Int == 3)
        for path in ["/v1/batch/\(id)", "/compat/check/v1/batch/\(id)"] {
            let check = try stack.get(path, key: stack.clientKey)
            #expect(check.json["status"] as? String == "completed")
            #expect(check.json["successCount"] as? Int == 300)
        }
        let talonic = try stack.get("/compat/talonic/v1/batches/\(id)", key: stack.clientKey)
        #expect(talonic.json["status"] as? String == "completed")
        #expect((talonic.json["items"] as? [Any])?.count == 300)
        #expect((try stack.get("/v1/batch/batch-none", key: stack.clientKey).json["error"] as? [String: Any])?["code"] as? String == "not_found")

        let list = try stack.get("/v1/batches?status=completed&limit=5", key: stack.clientKey)
        #expect(list.status == 200)
        #expect(((list.json["data"] as? [[String: Any]])?.first)?["batch_id"] as? String == id)
        #expect(try stack.send("DELETE", "/v1/batches/\(id)", key: stack.clientKey).status == 200)
        #expect(try stack.get("/v1/batches/\(id)", key: stack.clientKey).status == 404)
    }

    @Test func accumulateSubmitPauseResumeCancel() throws {
        let stack = try TestStack()
        defer { stack.stop() }
        let created = try stack.sendJSON("POST", "/v1/batches", key: stack.clientKey, #"{"processor":"noop","submit":false}"#)
        let id = try #require((created.json["data"] as? [String: Any])?["batch_id"] as? String)
        #expect((created.json["data"] as? [String: Any])?["status"] as? String == "accumulating")
        #expect(try stack.sendJSON("POST", "/v1/batches/\(id)/items", key: stack.clientKey, #"{"items":\#(items(5))}"#).status == 200)
        // Paused before it starts: nothing runs until resumed.
        let refused = try stack.sendJSON("PUT", "/v1/batches/\(id)/state", key: stack.clientKey, #"{"action":"pause"}"#)
        #expect(refused.status == 409)
        #expect((refused.json["details"] as? [String: Any])?["allowed_actions"] as? [String] == ["cancel", "submit"])
        #expect(try stack.sendJSON("PUT", "/v1/batches/\(id)/state", key: stack.clientKey, #"{"action":"submit"}"#).status == 200)
        _ = try waitForStatus(stack, id, "completed")

        let second = try stack.sendJSON("POST", "/v1/batches", key: stack.clientKey, #"{"processor":"noop","items":\#(items(3)),"submit":false}"#)
        let secondID = try #require((second.json["data"] as? [String: Any])?["batch_id"] as? String)
        // Cancel with no body (spec 003), then again: idempotent.
        for previous in ["accumulating", "cancelled"] {
            let cancelled = try stack.send("PUT", "/v1/batches/\(secondID)/state", key: stack.clientKey)
            #expect(cancelled.status == 200)
            let data = try #require(cancelled.json["data"] as? [String: Any])
            #expect(data["previous_state"] as? String == previous)
            #expect(data["current_state"] as? String == "cancelled")
        }
        #expect(try stack.send("PUT", "/v1/batches/\(id)/state", key: stack.clientKey).status == 409)
    }

    @Test func execBatchesRunCommandsAndCancelKillsThem() throws {
        let marker = "batchd-exec-marker-\(UUID().uuidString.prefix(8).lowercased())"
        var options = TestStack.Options()
        options.processors = #"""
            {"exec": {
              "count": {"command": ["/bin/sh", "-c", "n=$(wc -c); printf '{\"bytes\": %d, \"usage\": {\"cost_cents\": 1}}' \"$n\""]},
              "slow": {"command": ["/bin/sh", "-c", "sleep 30; echo \#(marker)"]}
            }}
            """#
        let stack = try TestStack(options)
        defer { stack.stop() }
        let created = try stack.sendJSON(
            "POST", "/v1/batches", key: stack.clientKey, #"{"processor":"exec:count","items":\#(items(6)),"configuration":{"max_concurrent":2}}"#)
        #expect(created.status == 201, "\(created.text)")
        let id = try #require((created.json["data"] as? [String: Any])?["batch_id"] as? String)
        let done = try waitForStatus(stack, id, "completed")
        #expect((done["progress"] as? [String: Any])?["completed"] as? Int == 6)

        let slow = try stack.sendJSON(
            "POST", "/v1/batches", key: stack.clientKey, #"{"processor":"exec:slow","items":[{"content":"x"}],"configuration":{"timeout":60}}"#)
        let slowID = try #require((slow.json["data"] as? [String: Any])?["batch_id"] as? String)
        _ = try waitForStatus(stack, slowID, "running")
        try stack.waitUntil(seconds: 10, "the command to start") { (try? stack.run("/usr/bin/pgrep", ["-f", marker])) != nil }
        let cancelled = try stack.send("PUT", "/v1/batches/\(slowID)/state", key: stack.clientKey)
        #expect(cancelled.status == 200)
        // Running items are stopped within about a second of the cancel.
        try stack.waitUntil(seconds: 5, "the command to be killed") { (try? stack.run("/usr/bin/pgrep", ["-f", marker])) == nil }
        let final = try stack.get("/v1/batches/\(slowID)", key: stack.clientKey)
        #expect((final.json["data"] as? [String: Any])?["status"] as? String == "cancelled")
    }

    @Test func ingestChecksFilesAndRecordsMediaOncePerContent() throws {
        let stack = try TestStack()
        defer { stack.stop() }
        // A 1x1 PNG, the same PNG again, a truncated copy, a text file and bytes of no known format.
        let png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
        let truncated = String(png.prefix(56))
        let body =
            #"{"batch_name":"media","collection":"docs","items":[{"content_base64":"\#(png)","filename":"a.png"},{"content_base64":"\#(png)","filename":"copy.png"},{"content_base64":"\#(truncated)","filename":"broken.png"},{"content":"plain words here","filename":"notes.txt"},{"content_base64":"AAECAw==","filename":"data.xlsx"}]}"#
        let created = try stack.sendJSON("POST", "/v1/batches", key: stack.clientKey, body)
        #expect(created.status == 201, "\(created.text)")
        let id = try #require((created.json["data"] as? [String: Any])?["batch_id"] as? String)
        let done = try waitForStatus(stack, id, "completed")
        let progress = try #require(done["progress"] as? [String: Any])
        #expect(progress["completed"] as? Int == 3)
        #expect(progress["failed"] as? Int == 2)

        let db = try SQLiteConnection(path: stack.directory + "/var/batchd.sqlite3", readOnly: true)
        let media = try db.statement("SELECT media_type, mime FROM media WHERE batch_id = ? ORDER BY mime").bind(.text(id)).rows {
            "\($0.text(0)):\($0.text(1))"
        }
        #expect(media == ["image:image/png", "document:text/plain"])
        let items = try db.statement(
            "SELECT filename, status, coalesce(error_type, ''), media_id IS NOT NULL FROM items WHERE batch_id = ? ORDER BY seq"
        )
        .bind(.text(id)).rows { "\($0.text(0)) \($0.text(1)) \($0.text(2)) \($0.int(3))" }
        #expect(
            items == [
                "a.png succeeded  1", "copy.png succeeded  1", "broken.png failed corrupted_file 0", "notes.txt succeeded  1",
                "data.xlsx failed format_error 0",
            ])
        let duplicate = try db.statement("SELECT json_extract(result, '$.duplicate') FROM items WHERE batch_id = ? AND filename = 'copy.png'")
            .bind(.text(id)).firstRow { $0.int(0) }
        #expect(duplicate == 1)
        let errors = try db.statement("SELECT error_type, count, affected_files FROM batch_errors WHERE batch_id = ? ORDER BY error_type")
            .bind(.text(id)).rows { "\($0.text(0)) \($0.int(1)) \($0.text(2))" }
        #expect(errors == [#"corrupted_file 1 ["broken.png"]"#, #"format_error 1 ["data.xlsx"]"#])
    }

    @Test func uploadsStreamWithoutGrowingMemory() throws {
        let stack = try TestStack()
        defer { stack.stop() }
        let png = Array(Data(base64Encoded: "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")!)
        let form = { (files: [(String, [UInt8])]) in multipartForm(files) }
        // Warm up, then measure the peak while 90 MB streams through (noop: nothing reads it back).
        #expect(try stack.get("/v1/status", key: stack.clientKey).status == 200)
        let before = try #require(stack.batchdPeakMemoryKB())
        let big = [UInt8](repeating: 0, count: 90 << 20)
        var body = form([("pixel.png", png), ("big.bin", big)])
        body.insert(
            contentsOf: Array("--XB\r\nContent-Disposition: form-data; name=\"batch_options\"\r\n\r\n{\"processor\":\"noop\"}\r\n".utf8), at: 0)
        let created = try stack.send(
            "POST", "/v1/batches", key: stack.clientKey, headers: ["Content-Type": "multipart/form-data; boundary=XB"], body: body)
        #expect(created.status == 201, "\(created.text)")
        let after = try #require(stack.batchdPeakMemoryKB())
        #expect(after - before < 16 << 10, "a 90 MB upload raised batchd's peak memory by \(after - before) kB")
        let id = try #require((created.json["data"] as? [String: Any])?["batch_id"] as? String)
        let done = try waitForStatus(stack, id, "completed", seconds: 60)
        #expect((done["progress"] as? [String: Any])?["completed"] as? Int == 2)

        // Over the type's own limit (documents: 20 MB): refused at upload.
        let longText = try stack.send(
            "POST", "/v1/batches", key: stack.clientKey, headers: ["Content-Type": "multipart/form-data; boundary=XB"],
            body: form([("long.txt", [UInt8](repeating: 0x61, count: 21 << 20))]))
        #expect(longText.status == 413)
        #expect((longText.json["details"] as? [String: Any])?["limit_bytes"] as? Int == 20 << 20)

        // Over the batch limit of 100 MB: refused, nothing kept.
        let tooBig = try stack.send(
            "POST", "/v1/batches", key: stack.clientKey, headers: ["Content-Type": "multipart/form-data; boundary=XB"],
            body: form([("a.bin", [UInt8](repeating: 1, count: 101 << 20))]))
        #expect(tooBig.status == 413)
        #expect(tooBig.json["code"] as? String == "payload_too_large")
        let blobs = try FileManager.default.contentsOfDirectory(atPath: stack.directory + "/var/blobs")
        #expect(blobs.count == 2)
    }

    @Test func completionWebhooksAreSignedAndRetried() throws {
        // Webhooks go to public addresses only; the operator allows this local receiver.
        var options = TestStack.Options()
        options.extraArguments = ["--webhook-allow-hosts", "127.0.0.1"]
        let stack = try TestStack(options)
        defer { stack.stop() }
        // A receiver that fails the first delivery and records the second.
        let port = try TestStack.freePort()
        let received = stack.directory + "/received"
        let script = """
            import http.server, sys
            count = 0
            class H(http.server.BaseHTTPRequestHandler):
                def do_POST(self):
                    global count
                    count += 1
                    body = self.rfile.read(int(self.headers["Content-Length"]))
                    if count == 1:
                        self.send_response(500); self.end_headers(); return
                    open("\(received).body", "wb").write(body)
                    open("\(received).sig", "w").write(self.headers["X-Batchd-Signature"])
                    self.send_response(204); self.end_headers()
                def log_message(self, *a): pass
            http.server.HTTPServer(("127.0.0.1", \(port)), H).serve_forever()
            """
        let receiver = try ChildProcess.spawn("/usr/bin/python3", ["-c", script], outputPath: stack.logDirectory + "/receiver.log")
        defer {
            receiver.signal(SIGKILL)
            _ = receiver.wait(seconds: 5)
        }
        usleep(300_000)
        let created = try stack.sendJSON(
            "POST", "/v1/batches", key: stack.clientKey,
            #"{"processor":"noop","items":[{"content":"x"}],"configuration":{"notification_url":"http://127.0.0.1:\#(port)/hook"}}"#)
        let id = try #require((created.json["data"] as? [String: Any])?["batch_id"] as? String)
        var notification: [String: Any] = [:]
        try stack.waitUntil(seconds: 20, "the webhook to be delivered") {
            guard let result = try? stack.get("/v1/batches/\(id)", key: stack.clientKey) else { return false }
            notification = (result.json["data"] as? [String: Any])?["notification"] as? [String: Any] ?? [:]
            return notification["status"] as? String == "delivered"
        }
        #expect(notification["attempts"] as? Int == 2)
        let body = try #require(FileManager.default.contents(atPath: received + ".body"))
        let signature = try String(contentsOfFile: received + ".sig", encoding: .utf8)
        let secret = try stack.batchctl(["webhook-secret"]).trimmingCharacters(in: .whitespacesAndNewlines)
        let expected = HMACSHA256.hex(key: secret, message: Array((signature.split(separator: ",")[0].dropFirst(2) + ".").utf8) + Array(body))
        #expect(signature.hasSuffix("v1=" + expected))
        let document = try JSONSerialization.jsonObject(with: body) as? [String: Any]
        #expect((document?["data"] as? [String: Any])?["status"] as? String == "completed")
    }

    @Test func rowBodiesActionsAndTimeoutsThroughNginx() throws {
        var options = TestStack.Options()
        options.processors = #"{"exec": {"slow": {"command": ["/bin/sleep", "5"]}}}"#
        let stack = try TestStack(options)
        defer { stack.stop() }
        func create(_ body: String, type: String, query: String) throws -> String {
            let result = try stack.send("POST", "/v1/batches?" + query, key: stack.clientKey, headers: ["Content-Type": type], body: Array(body.utf8))
            #expect(result.status == 201, "\(result.text)")
            return try #require((result.json["data"] as? [String: Any])?["batch_id"] as? String)
        }
        let csv = try create("content,custom_id,context.lang\nhello,r1,en\nworld,r2,fr\n", type: "text/csv", query: "processor=noop&batch_name=csv")
        let ndjson = try create("{\"content\":\"a\"}\n{\"content\":\"b\"}\n", type: "application/x-ndjson", query: "processor=noop")
        for id in [csv, ndjson] {
            let done = try waitForStatus(stack, id, "completed")
            #expect((done["progress"] as? [String: Any])?["completed"] as? Int == 2)
        }

        // retry_failed runs failed items again under the same batch id.
        let broken = try create(
            #"{"items":[{"content_base64":"AAECAw==","filename":"x.bin"},{"content":"fine"}]}"#, type: "application/json", query: "")
        var done = try waitForStatus(stack, broken, "completed")
        #expect((done["progress"] as? [String: Any])?["failed"] as? Int == 1)
        let retried = try stack.sendJSON("PUT", "/v1/batches/\(broken)/state", key: stack.clientKey, #"{"action":"retry_failed"}"#)
        #expect(retried.status == 200, "\(retried.text)")
        #expect((retried.json["data"] as? [String: Any])?["previous_state"] as? String == "completed")
        done = try waitForStatus(stack, broken, "completed")
        #expect((done["progress"] as? [String: Any])?["failed"] as? Int == 1)
        #expect((done["progress"] as? [String: Any])?["completed"] as? Int == 1)

        // Pause holds back what has not started; resume lets it run; a slow command times out.
        let slow = try create(
            #"{"processor":"exec:slow","items":[{"content":"1"},{"content":"2"}],"configuration":{"timeout":1,"max_concurrent":1}}"#,
            type: "application/json", query: "")
        #expect(try stack.sendJSON("PUT", "/v1/batches/\(slow)/state", key: stack.clientKey, #"{"action":"pause"}"#).status == 200)
        usleep(1_500_000)
        let paused = try stack.get("/v1/batches/\(slow)", key: stack.clientKey).json["data"] as? [String: Any]
        #expect(paused?["status"] as? String == "paused")
        let pending = (paused?["progress"] as? [String: Any])?["pending"] as? Int ?? 0
        #expect(pending >= 1, "a paused batch started new items")
        #expect(try stack.sendJSON("PUT", "/v1/batches/\(slow)/state", key: stack.clientKey, #"{"action":"resume"}"#).status == 200)
        done = try waitForStatus(stack, slow, "completed", seconds: 30)
        #expect((done["progress"] as? [String: Any])?["failed"] as? Int == 2)
        let db = try SQLiteConnection(path: stack.directory + "/var/batchd.sqlite3", readOnly: true)
        let types = try db.statement("SELECT DISTINCT error_type FROM items WHERE batch_id = ?").bind(.text(slow)).rows { $0.text(0) }
        #expect(types == ["timeout_error"])
    }

    @Test func filePathItemsReportResourceAndStorageErrors() throws {
        let root = NSTemporaryDirectory() + "batchd-ingest-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        _ = FileManager.default.createFile(atPath: root + "/big.txt", contents: Data(repeating: 0x61, count: 21 << 20))
        _ = FileManager.default.createFile(atPath: root + "/gone.txt", contents: Data("soon deleted".utf8))
        _ = FileManager.default.createFile(atPath: root + "/fine.txt", contents: Data("three little words".utf8))
        // Regular files at create, swapped afterwards for a symlink out of the root, a
        // FIFO, and a folder on the way that becomes a symlink.
        let outside = root + "-outside"
        try FileManager.default.createDirectory(atPath: outside + "/sub", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: outside) }
        _ = FileManager.default.createFile(atPath: outside + "/secret.txt", contents: Data("the operator's secret".utf8))
        _ = FileManager.default.createFile(atPath: outside + "/sub/fine.txt", contents: Data("also outside".utf8))
        try FileManager.default.createDirectory(atPath: root + "/sub", withIntermediateDirectories: true)
        for name in ["swapped.txt", "pipe.txt", "sub/fine.txt"] {
            _ = FileManager.default.createFile(atPath: root + "/" + name, contents: Data("inside".utf8))
        }
        var options = TestStack.Options()
        options.extraArguments = ["--ingest-root", root]
        let stack = try TestStack(options)
        defer { stack.stop() }
        let created = try stack.sendJSON(
            "POST", "/v1/batches", key: stack.clientKey,
            #"{"submit":false,"items":[{"file_path":"big.txt"},{"file_path":"gone.txt"},{"file_path":"fine.txt"},{"file_path":"swapped.txt"},{"file_path":"pipe.txt"},{"file_path":"sub/fine.txt"}]}"#
        )
        #expect(created.status == 201, "\(created.text)")
        let id = try #require((created.json["data"] as? [String: Any])?["batch_id"] as? String)
        try FileManager.default.removeItem(atPath: root + "/gone.txt")
        try FileManager.default.removeItem(atPath: root + "/swapped.txt")
        try FileManager.default.createSymbolicLink(atPath: root + "/swapped.txt", withDestinationPath: outside + "/secret.txt")
        try FileManager.default.removeItem(atPath: root + "/pipe.txt")
        #expect(mkfifo(root + "/pipe.txt", 0o644) == 0)
        try FileManager.default.removeItem(atPath: root + "/sub")
        try FileManager.default.createSymbolicLink(atPath: root + "/sub", withDestinationPath: outside + "/sub")
        #expect(try stack.sendJSON("PUT", "/v1/batches/\(id)/state", key: stack.clientKey, #"{"action":"submit"}"#).status == 200)
        _ = try waitForStatus(stack, id, "completed")
        let db = try SQLiteConnection(path: stack.directory + "/var/batchd.sqlite3", readOnly: true)
        let outcomes = try db.statement("SELECT coalesce(error_type, status) FROM items WHERE batch_id = ? ORDER BY seq").bind(.text(id)).rows {
            $0.text(0)
        }
        #expect(outcomes == ["resource_error", "storage_error", "succeeded", "storage_error", "storage_error", "storage_error"])
        // Nothing outside the root was read; the media record names the file relative to the root.
        let media = try db.statement("SELECT filename, size_bytes FROM media WHERE batch_id = ?").bind(.text(id)).rows {
            "\($0.text(0)):\($0.int(1))"
        }
        #expect(media == ["fine.txt:18"])
        // A path outside the root, through a symlink, or not a regular file is refused before anything is stored.
        for path in ["../../etc/passwd", "swapped.txt", "pipe.txt", "sub/fine.txt", "sub"] {
            let escape = try stack.sendJSON("POST", "/v1/batches", key: stack.clientKey, #"{"items":[{"file_path":"\#(path)"}]}"#)
            #expect(escape.status == 400, "\(path): \(escape.text)")
        }
    }
}
