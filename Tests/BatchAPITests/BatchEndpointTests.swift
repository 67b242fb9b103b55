import BatchCodecs
import BatchModel
import BatchStore
import Foundation
import Testing

@testable import BatchAPI

/// Creating, listing, appending to, controlling and deleting batches through the
/// API pipeline over a real SQLite file.
@Suite struct BatchEndpointTests {
    static let twoItems =
        #"{"batch_name":"Reports","processor":"noop","items":[{"content":"hello","custom_id":"a"},{"content_base64":"aGk=","filename":"hi.txt"}],"configuration":{"max_concurrent":2,"priority":"high","completion_window":"24h"},"context":{"team":"x"}}"#

    func create(_ f: ApplicationFixture, _ body: String = twoItems, headers: [String: String] = [:]) -> (HTTPResponse, JSONValue) {
        f.send("POST", "/v1/batches", key: f.clientKey, body: body, headers: headers)
    }

    @Test func createsAQueuedBatchWithItemsAndCounters() throws {
        let f = try ApplicationFixture()
        let (response, body) = create(f)
        #expect(response.status == 201, "\(body)")
        let id = try #require(body["data"]?["batch_id"]?.stringValue)
        #expect(id.hasPrefix("batch-"))
        #expect(response.header("Location") == "/v1/batches/\(id)")
        #expect(body["data"]?["status"] == "created")
        #expect(body["data"]?["total_items"] == 2)
        #expect(body["data"]?["links"]?["state"] == .string("/v1/batches/\(id)/state"))
        let row = try #require(try BatchRecords(f.connection).find(id: id, tenantID: f.tenant.id))
        #expect(row.pending == 2)
        #expect(row.totalBytes == 7)
        #expect(row.configuration.maxConcurrent == 2)
        #expect(row.configuration.priority == .high)
        #expect(row.configuration.completionWindowSeconds == 86_400)
        let seqs = try f.connection.statement("SELECT seq, custom_id, length(content) FROM items WHERE batch_id = ? ORDER BY seq").bind(.text(id))
            .rows { "\($0.int(0)):\($0.optionalText(1) ?? "-"):\($0.int(2))" }
        #expect(seqs == ["1:a:5", "2:-:2"])
        let (status, statusBody) = f.send("GET", "/v1/batches/\(id)", key: f.clientKey)
        #expect(status.status == 200)
        #expect(statusBody["data"]?["progress"]?["pending"] == 2)
    }

    @Test func rowErrorsStoreAFailedBatchThatNeverRuns() throws {
        let f = try ApplicationFixture(
            batchLimits: {
                var l = BatchLimits()
                l.maxItemBytes = 10
                return l
            }())
        let (response, body) = create(
            f, #"{"processor":"noop","items":[{"content":""},{"content":"ok"},{"content_base64":"!!"},{"content":"much too long"},{}]}"#)
        #expect(response.status == 201)
        #expect(body["data"]?["status"] == "failed")
        #expect(body["data"]?["error_message"] == "4 validation error(s)")
        #expect(body["data"]?["total_items"] == 5)
        guard case .array(let errors) = body["data"]?["validation_errors"] else {
            Issue.record("no validation_errors")
            return
        }
        #expect(errors.compactMap { $0["row"]?.intValue } == [1, 3, 4, 5])
        let id = body["data"]?["batch_id"]?.stringValue ?? ""
        #expect(try f.connection.statement("SELECT count(*) FROM items WHERE batch_id = ?").bind(.text(id)).firstRow { $0.int(0) } == 0)
    }

    @Test func unknownProcessorFailsTheBatch() throws {
        let f = try ApplicationFixture()
        let (response, body) = create(f, #"{"processor":"teleport","items":[{"content":"x"}]}"#)
        #expect(response.status == 201)
        #expect(body["data"]?["status"] == "failed")
        #expect(body["data"]?["error_message"]?.stringValue?.contains("teleport") == true)
    }

    @Test(arguments: [
        ("not json", "validation_error"),
        (#"{"items":[]}"#, "validation_error"),
        (#"{"items":"x"}"#, "validation_error"),
        (#"{"items":[{"content":"a"}],"colour":1}"#, "validation_error"),
        (#"{"items":[{"content":"a","custom_id":"x"},{"content":"b","custom_id":"x"}]}"#, "validation_error"),
        (#"{"items":[{"content":"a"}],"configuration":{"max_concurrent":0}}"#, "validation_error"),
        (#"{"items":[{"content":"a"}],"configuration":{"priority":"urgent"}}"#, "validation_error"),
        (#"{"items":[{"content":"a"}],"configuration":{"notification_url":"ftp://x"}}"#, "validation_error"),
        // No ingest root on this server: any file_path is refused by policy, 403.
        (#"{"items":[{"file_path":"../etc/passwd"}]}"#, "forbidden"),
        (#"{"items":[{"content":"a"}],"submit":"yes"}"#, "validation_error"),
    ])
    func unparseableRequestsStoreNothing(_ body: String, _ code: String) throws {
        let f = try ApplicationFixture()
        let (response, document) = create(f, body)
        #expect(response.status == (code == "forbidden" ? 403 : 400), "\(document)")
        #expect(document["code"]?.stringValue == code)
        #expect(try f.connection.statement("SELECT count(*) FROM batches").firstRow { $0.int(0) } == 0)
    }

    @Test func duplicateCustomIdsNameBothRows() throws {
        let f = try ApplicationFixture()
        let (_, body) = create(f, #"{"items":[{"content":"a","custom_id":"x"},{"content":"b"},{"content":"c","custom_id":"x"}]}"#)
        #expect(body["message"] == "Duplicate custom_id 'x' in rows 1 and 3")
        #expect(body["details"]?["rows"] == [1, 3])
    }

    @Test func tooManyItemsIs413WithTheLimit() throws {
        let f = try ApplicationFixture(
            batchLimits: {
                var l = BatchLimits()
                l.maxItems = 2
                l.processors = ["noop"]
                return l
            }())
        let (response, body) = create(f, #"{"processor":"noop","items":[{"content":"a"},{"content":"b"},{"content":"c"}]}"#)
        #expect(response.status == 413)
        #expect(body["details"]?["limit_items"] == 2)
    }

    @Test func otherContentTypesAre415() throws {
        let f = try ApplicationFixture()
        let (response, body) = f.send("POST", "/v1/batches", key: f.clientKey, body: "content\nx", headers: ["content-type": "text/plain"])
        #expect(response.status == 415)
        #expect(body["code"] == "unsupported_media_type")
    }

    @Test func idempotencyKeysReplayAndConflict() throws {
        let f = try ApplicationFixture()
        let (first, firstBody) = create(f, headers: ["idempotency-key": "k-1"])
        let (again, againBody) = create(f, headers: ["idempotency-key": "k-1"])
        #expect(first.status == 201 && again.status == 201)
        #expect(againBody["data"] == firstBody["data"])
        #expect(again.header("Idempotent-Replayed") == "true")
        #expect(try f.connection.statement("SELECT count(*) FROM batches").firstRow { $0.int(0) } == 1)
        let (other, otherBody) = create(f, #"{"processor":"noop","items":[{"content":"different"}]}"#, headers: ["idempotency-key": "k-1"])
        #expect(other.status == 409)
        #expect(otherBody["code"] == "conflict")
        // Keys are per tenant: another tenant's identical key creates its own batch.
        #expect(create(f, headers: ["idempotency-key": "k-2"]).0.status == 201)
        #expect(try f.connection.statement("SELECT count(*) FROM batches").firstRow { $0.int(0) } == 2)
    }

    @Test func accumulatingBatchesTakeItemsUntilSubmitted() throws {
        let f = try ApplicationFixture()
        let (_, created) = create(f, #"{"processor":"noop","submit":false}"#)
        #expect(created["data"]?["status"] == "accumulating")
        let id = created["data"]?["batch_id"]?.stringValue ?? ""
        let (appended, appendedBody) = f.send(
            "POST", "/v1/batches/\(id)/items", key: f.clientKey, body: #"{"items":[{"content":"a","custom_id":"one"},{"content":"b"}]}"#)
        #expect(appended.status == 200, "\(appendedBody)")
        #expect(appendedBody["data"]?["total_items"] == 2)
        let (duplicate, _) = f.send("POST", "/v1/batches/\(id)/items", key: f.clientKey, body: #"{"items":[{"content":"c","custom_id":"one"}]}"#)
        #expect(duplicate.status == 409)
        let (submitted, submittedBody) = f.send("PUT", "/v1/batches/\(id)/state", key: f.clientKey, body: #"{"action":"submit"}"#)
        #expect(submitted.status == 200)
        #expect(submittedBody["data"]?["previous_state"] == "accumulating")
        #expect(submittedBody["data"]?["current_state"] == "created")
        let (late, lateBody) = f.send("POST", "/v1/batches/\(id)/items", key: f.clientKey, body: #"{"items":[{"content":"c"}]}"#)
        #expect(late.status == 409)
        #expect(lateBody["code"] == "conflict")
        let seqs = try f.connection.statement("SELECT seq FROM items WHERE batch_id = ? ORDER BY seq").bind(.text(id)).rows { $0.int(0) }
        #expect(seqs == [1, 2])
    }

    /// An append is one transaction, so it is held to one chunk of a large create.
    @Test func anAppendAddsAtMostOneChunkOfItems() throws {
        let f = try ApplicationFixture()
        let (_, created) = create(f, #"{"processor":"noop","submit":false}"#)
        let id = created["data"]?["batch_id"]?.stringValue ?? ""
        func items(_ count: Int) -> String { #"{"items":["# + Array(repeating: #"{"content":"x"}"#, count: count).joined(separator: ",") + "]}" }
        let (tooMany, tooManyBody) = f.send("POST", "/v1/batches/\(id)/items", key: f.clientKey, body: items(BatchItemsHandler.maxItems + 1))
        #expect(tooMany.status == 400)
        #expect(tooManyBody["code"] == "validation_error")
        #expect(tooManyBody["details"]?["limit"] == .int(Int64(BatchItemsHandler.maxItems)))
        #expect(try f.connection.statement("SELECT count(*) FROM items WHERE batch_id = ?").bind(.text(id)).firstRow { $0.int(0) } == 0)
        let (full, fullBody) = f.send("POST", "/v1/batches/\(id)/items", key: f.clientKey, body: items(BatchItemsHandler.maxItems))
        #expect(full.status == 200, "\(fullBody)")
        #expect(fullBody["data"]?["total_items"] == .int(Int64(BatchItemsHandler.maxItems)))
    }

    @Test func stateActionsFollowTheMachine() throws {
        let f = try ApplicationFixture()
        let (_, created) = create(f)
        let id = created["data"]?["batch_id"]?.stringValue ?? ""
        let (paused, _) = f.send("PUT", "/v1/batches/\(id)/state", key: f.clientKey, body: #"{"action":"pause"}"#)
        #expect(paused.status == 200)
        let (refused, refusedBody) = f.send("PUT", "/v1/batches/\(id)/state", key: f.clientKey, body: #"{"action":"submit"}"#)
        #expect(refused.status == 409)
        #expect(refusedBody["details"]?["current_state"] == "paused")
        #expect(refusedBody["details"]?["allowed_actions"] == ["cancel", "resume"])
        // No body cancels (spec 003), and cancelling again is idempotent.
        let (cancelled, cancelledBody) = f.send("PUT", "/v1/batches/\(id)/state", key: f.clientKey)
        #expect(cancelled.status == 200)
        #expect(cancelledBody["message"] == "Batch cancelled successfully")
        #expect(cancelledBody["data"]?["previous_state"] == "paused")
        #expect(cancelledBody["data"]?["current_state"] == "cancelled")
        let (again, againBody) = f.send("PUT", "/v1/batches/\(id)/state", key: f.clientKey)
        #expect(again.status == 200)
        #expect(againBody["data"]?["previous_state"] == "cancelled")
        let row = try #require(try BatchRecords(f.connection).find(id: id, tenantID: f.tenant.id))
        #expect(row.cancelled == 2 && row.pending == 0)
        #expect(f.send("PUT", "/v1/batches/\(id)/state", key: f.clientKey, body: #"{"action":"explode"}"#).0.status == 400)
        #expect(f.send("PUT", "/v1/batches/batch-nope/state", key: f.clientKey).0.status == 404)
    }

    @Test func deleteOnlyWhenFinished() throws {
        let f = try ApplicationFixture()
        let (_, created) = create(f)
        let id = created["data"]?["batch_id"]?.stringValue ?? ""
        let (running, runningBody) = f.send("DELETE", "/v1/batches/\(id)", key: f.clientKey)
        #expect(running.status == 409, "\(runningBody)")
        _ = f.send("PUT", "/v1/batches/\(id)/state", key: f.clientKey)
        #expect(f.send("DELETE", "/v1/batches/\(id)", key: f.clientKey).0.status == 200)
        #expect(f.send("GET", "/v1/batches/\(id)", key: f.clientKey).0.status == 404)
        #expect(try f.connection.statement("SELECT count(*) FROM items").firstRow { $0.int(0) } == 0)
    }

    @Test func listsNewestFirstWithFiltersAndCursor() throws {
        let f = try ApplicationFixture()
        var ids: [String] = []
        for index in 0..<5 {
            let (_, body) = create(f, #"{"processor":"noop","collection":"c\#(index % 2)","items":[{"content":"x"}]}"#)
            ids.append(body["data"]?["batch_id"]?.stringValue ?? "")
        }
        var seen: [String] = []
        var cursor: String?
        repeat {
            let query = "limit=2" + (cursor.map { "&after=\($0)" } ?? "")
            let (response, body) = f.send("GET", "/v1/batches", key: f.clientKey, query: query)
            #expect(response.status == 200)
            guard case .array(let page) = body["data"] else { break }
            seen += page.compactMap { $0["batch_id"]?.stringValue }
            cursor = body["pagination"]?["next_cursor"]?.stringValue
            #expect(body["pagination"]?["has_more"] == .bool(cursor != nil))
        } while cursor != nil
        #expect(Set(seen) == Set(ids))
        #expect(seen.count == 5)
        let (filtered, filteredBody) = f.send("GET", "/v1/batches", key: f.clientKey, query: "collection=c1&status=created")
        #expect(filtered.status == 200)
        guard case .array(let only) = filteredBody["data"] else { return }
        #expect(only.count == 2)
        // Each listed batch carries its items per state (the dashboard's progress bars);
        // creation's answer does not.
        #expect(
            only.first?["counts"]
                == .object(["pending": 1, "processing": 0, "succeeded": 0, "failed": 0, "cancelled": 0, "expired": 0]))
        #expect(create(f).1["data"]?["counts"] == nil)
        for bad in ["limit=0", "limit=abc", "status=done", "created_after=yesterday", "colour=red", "limit=1&limit=2"] {
            let (response, body) = f.send("GET", "/v1/batches", key: f.clientKey, query: bad)
            #expect(response.status == 400, "\(bad)")
            #expect(body["details"]?["parameter"] != nil, "\(bad)")
        }
    }

    @Test func tenantsSeeOnlyTheirOwnBatches() throws {
        let f = try ApplicationFixture()
        let (_, created) = create(f)
        let id = created["data"]?["batch_id"]?.stringValue ?? ""
        let other = try TenantRecords(f.connection).create(name: "other")
        let otherKey = try KeyRecords(f.connection).create(tenantID: other.id, role: .client).1.value
        #expect(f.send("GET", "/v1/batches/\(id)", key: otherKey).0.status == 404)
        #expect(f.send("PUT", "/v1/batches/\(id)/state", key: otherKey).0.status == 404)
        #expect(f.send("DELETE", "/v1/batches/\(id)", key: otherKey).0.status == 404)
        let (_, list) = f.send("GET", "/v1/batches", key: otherKey)
        #expect(list["data"] == .array([]))
    }
}

@Suite struct IngestRootTests {
    @Test func filePathsStayInsideTheIngestRoot() throws {
        let outside = NSTemporaryDirectory() + "batchd-outside-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: outside) }
        try "secret".write(toFile: outside + "/secret.txt", atomically: true, encoding: .utf8)
        let f = try ApplicationFixture(
            batchLimits: {
                var l = BatchLimits()
                l.processors = ["noop"]
                return l
            }())
        let root = f.folder + "/ingest"
        try FileManager.default.createDirectory(atPath: root + "/docs", withIntermediateDirectories: true)
        try "inside".write(toFile: root + "/docs/a.txt", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: root + "/escape", withDestinationPath: outside)
        var limits = BatchLimits()
        limits.processors = ["noop"]
        limits.ingestRoot = root
        let parser = BatchRequestParser(limits: limits)
        func parse(_ path: String) throws(APIError) -> NewBatch {
            try parser.parseCreate(["processor": "noop", "items": [["file_path": .string(path)]]])
        }
        try FileManager.default.createSymbolicLink(atPath: root + "/docs/link.txt", withDestinationPath: root + "/docs/a.txt")
        mkfifo(root + "/docs/fifo", 0o644)
        #expect(try parse("docs/a.txt").items.all.first?.filePath == "docs/a.txt")
        // One spelling a path: empty segments are refused, as the contract's pattern says.
        for bad in [
            "docs//a.txt", "docs/", "escape/secret.txt", "../outside.txt", "/etc/passwd", "docs/../../x", "docs/missing.txt", "", "docs/link.txt",
            "docs/fifo", "docs", "./docs/a.txt",
        ] {
            #expect(throws: APIError.self, "\(bad)") { try parse(bad) }
        }
        // A path that names no file is a 404; the rest of the refusals are 400s.
        do {
            _ = try parse("docs/missing.txt")
        } catch {
            #expect(error.code == .notFound)
        }
        do {
            _ = try parse("../outside.txt")
        } catch {
            #expect(error.code == .validationError)
        }
    }
}

@Suite struct QuotaTests {
    @Test func tenantQuotasRefuseGrowthWithTheQuotaNamed() throws {
        let f = try ApplicationFixture()
        var tenant = f.tenant
        tenant.quota = TenantQuota(maxBatches: 2, maxItems: 3, maxBytes: nil)
        try TenantRecords(f.connection).update(tenant)
        let two = #"{"processor":"noop","items":[{"content":"a"},{"content":"b"}]}"#
        #expect(f.send("POST", "/v1/batches", key: f.clientKey, body: two).0.status == 201)
        let (refused, body) = f.send("POST", "/v1/batches", key: f.clientKey, body: two)
        #expect(refused.status == 403)
        #expect(body["details"]?["error"] == "quota_exceeded")
        #expect(body["details"]?["quota"] == "max_items")
        #expect(body["details"]?["limit"] == 3)
        #expect(f.send("POST", "/v1/batches", key: f.clientKey, body: #"{"processor":"noop","items":[{"content":"c"}]}"#).0.status == 201)
        let (third, thirdBody) = f.send("POST", "/v1/batches", key: f.clientKey, body: #"{"processor":"noop","submit":false}"#)
        #expect(third.status == 403)
        #expect(thirdBody["details"]?["quota"] == "max_batches")
        #expect(try f.connection.statement("SELECT count(*) FROM batches").firstRow { $0.int(0) } == 2)
    }
}
