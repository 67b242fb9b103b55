import BatchCodecs
import BatchModel
import BatchStore
import Testing

@testable import BatchAPI

/// Talonic's view of a batch (spec 004), key by key.
@Suite struct TalonicViewTests {
    @Test func completedBatchMatchesSpec004() throws {
        let f = try ApplicationFixture()
        let (_, created) = f.send(
            "POST", "/v1/batches", key: f.clientKey,
            body: #"{"processor":"noop","items":[{"content":"a","filename":"invoice_2024_001.pdf","custom_id":"msgbatch_abc123:0"},{"content":"b"}]}"#
        )
        let id = try #require(created["data"]?["batch_id"]?.stringValue)
        let leases = ItemLeases(f.connection)
        let claimed = try leases.claim(owner: "w", limit: 2, leaseSeconds: 60)
        try leases.complete([
            ItemCompletion(
                item: claimed[0], outcome: .succeeded(result: nil, mediaType: nil, usage: .none), startedAt: .now(), durationMilliseconds: 1),
            ItemCompletion(
                item: claimed[1], outcome: .failed(errorType: "processing_error", message: "boom", details: nil), startedAt: .now(),
                durationMilliseconds: 1),
        ])
        let path = "/compat/talonic/v1/batches/\(id)"
        let (response, body) = f.send("GET", path, key: f.clientKey)
        #expect(response.status == 200)
        guard case .object(let object) = body else { return }
        #expect(
            object.keys == [
                "id", "status", "provider", "item_count", "succeeded_count", "errored_count", "expired_count", "submitted_at", "completed_at",
                "error_message", "created_at", "updated_at", "links", "items",
            ])
        #expect(body["status"] == "completed")
        #expect(body["provider"] == "noop")
        #expect(body["item_count"] == 2 && body["succeeded_count"] == 1 && body["errored_count"] == 1 && body["expired_count"] == 0)
        #expect(body["links"] == ["self": .string(path)])
        #expect(body["created_at"]?.stringValue?.hasSuffix("Z") == true && body["created_at"]?.stringValue?.contains(".") == true)
        guard case .array(let items) = body["items"] else { return }
        #expect(items.count == 2)
        #expect(items[0]["document_filename"] == "invoice_2024_001.pdf")
        #expect(items[0]["custom_id"] == "msgbatch_abc123:0")
        #expect(items[0]["status"] == "completed")
        #expect(items[1]["status"] == "failed")
        #expect(items[1]["error_message"] == "boom")
        guard case .object(let item) = items[0] else { return }
        #expect(item.keys == ["id", "document_id", "document_filename", "custom_id", "status", "error_message", "created_at", "processed_at"])
    }

    @Test func openBatchesHaveTalonicsWordsAndNoBreakdownYet() throws {
        let f = try ApplicationFixture()
        let (_, open) = f.send("POST", "/v1/batches", key: f.clientKey, body: #"{"processor":"noop","submit":false}"#)
        let (_, accumulating) = f.send("GET", "/compat/talonic/v1/batches/\(open["data"]?["batch_id"]?.stringValue ?? "")", key: f.clientKey)
        #expect(accumulating["status"] == "accumulating")
        #expect(accumulating["submitted_at"] == .null)
        let (_, queued) = f.send("POST", "/v1/batches", key: f.clientKey, body: #"{"processor":"noop","items":[{"content":"x"}]}"#)
        let (_, submitted) = f.send("GET", "/compat/talonic/v1/batches/\(queued["data"]?["batch_id"]?.stringValue ?? "")", key: f.clientKey)
        #expect(submitted["status"] == "submitted")
        #expect(submitted["items"] == .array([]))
    }

    @Test func errorsUseTalonicsCodes() throws {
        let f = try ApplicationFixture()
        let (missing, body) = f.send("GET", "/compat/talonic/v1/batches/batch-nope", key: f.clientKey)
        #expect(missing.status == 404)
        #expect(body["error"]?["code"] == "not_found")
        let (unauthorized, unauthorizedBody) = f.send("GET", "/compat/talonic/v1/batches/batch-nope")
        #expect(unauthorized.status == 401)
        #expect(unauthorizedBody["error"]?["code"] == "unauthorized")
        let limited = ErrorDialect.talonic.response(for: APIError(.rateLimitError, "slow down"), requestID: "req-1")
        #expect((try? JSONParser.parse(limited.body))?["error"]?["code"] == "rate_limited")
    }
}
