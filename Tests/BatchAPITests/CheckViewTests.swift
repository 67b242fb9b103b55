import BatchCodecs
import BatchModel
import BatchStore
import Testing

@testable import BatchAPI

/// Check's view of a batch (spec 002), key by key and type by type.
@Suite struct CheckViewTests {
    @Test func completedBatchMatchesSpec002() throws {
        let f = try ApplicationFixture()
        let (_, created) = f.send(
            "POST", "/v1/batches", key: f.clientKey,
            body:
                #"{"batch_name":"Daily fact check","processor":"noop","items":[{"content":"a"},{"content":"b"}],"configuration":{"max_concurrent":2},"context":{"source":"news-aggregator"}}"#
        )
        let id = try #require(created["data"]?["batch_id"]?.stringValue)
        let leases = ItemLeases(f.connection)
        let claimed = try leases.claim(owner: "w", limit: 2, leaseSeconds: 60)
        try leases.complete([
            ItemCompletion(
                item: claimed[0],
                outcome: .succeeded(result: nil, mediaType: nil, usage: Usage(costCents: 125, inputTokens: 6250, outputTokens: 4350)),
                startedAt: .now(), durationMilliseconds: 5),
            ItemCompletion(
                item: claimed[1], outcome: .failed(errorType: "processing_error", message: "x", details: nil), startedAt: .now(),
                durationMilliseconds: 5),
        ])
        for path in ["/v1/batch/\(id)", "/compat/check/v1/batch/\(id)"] {
            let (response, body) = f.send("GET", path, key: f.clientKey)
            #expect(response.status == 200)
            guard case .object(let object) = body else {
                Issue.record("not an object")
                return
            }
            #expect(
                object.keys == [
                    "id", "name", "inputFormat", "originalFileName", "status", "totalItems", "processedItems", "successCount", "failureCount",
                    "methodsConfig", "context", "totalCostCents", "totalInputTokens", "totalOutputTokens", "errorMessage", "validationErrors",
                    "createdAt", "startedAt", "completedAt", "expiresAt",
                ])
            #expect(body["status"] == "completed")
            #expect(body["inputFormat"] == "json")
            #expect(body["processedItems"] == 2 && body["successCount"] == 1 && body["failureCount"] == 1)
            // The page's keys are there though the client did not send them; what it sent is kept.
            #expect(body["methodsConfig"] == ["reasoning": 1, "tool": 0.5, "max_concurrent": 2])
            #expect(body["context"] == ["source": "news-aggregator"])
            #expect(body["totalCostCents"] == 125 && body["totalInputTokens"] == 6250 && body["totalOutputTokens"] == 4350)
            #expect(body["errorMessage"] == .null && body["validationErrors"] == .null)
            let createdAt = try #require(body["createdAt"]?.stringValue.flatMap(Timestamp.init(iso8601:)))
            #expect(body["expiresAt"]?.stringValue.flatMap(Timestamp.init(iso8601:))?.milliseconds == createdAt.milliseconds + 30 * 86_400_000)
        }
    }

    @Test func failedValidationAndProcessingStates() throws {
        let f = try ApplicationFixture()
        let (_, failed) = f.send(
            "POST", "/v1/batches", key: f.clientKey, query: "processor=noop", body: "content\n\"\"\n\nok\n\n", headers: ["content-type": "text/csv"])
        let failedID = try #require(failed["data"]?["batch_id"]?.stringValue)
        let (_, body) = f.send("GET", "/v1/batch/\(failedID)", key: f.clientKey)
        #expect(body["status"] == "failed")
        #expect(body["inputFormat"] == "csv")
        #expect(body["errorMessage"] == "1 validation error(s)")
        #expect(body["validationErrors"] == [["row": 1, "error": "empty content"]])
        let (_, queued) = f.send("POST", "/v1/batches", key: f.clientKey, body: #"{"processor":"noop","items":[{"content":"x"}]}"#)
        let (_, processing) = f.send("GET", "/v1/batch/\(queued["data"]?["batch_id"]?.stringValue ?? "")", key: f.clientKey)
        #expect(processing["status"] == "processing")
        #expect(processing["completedAt"] == .null)
        // No context sent: an object all the same, as the page shows one.
        #expect(processing["context"] == .object(JSONObject()))
        #expect(processing["methodsConfig"] == ["reasoning": 1, "tool": 0.5])
        // The results document names every media type the page lists, even with no media.
        let (_, results) = f.send("GET", "/v1/batches/\(queued["data"]?["batch_id"]?.stringValue ?? "")/results", key: f.clientKey)
        let media = results["data"]?["statistics"]?["media_distribution"]
        #expect(media?["by_type"] == ["document": 0, "image": 0, "video": 0, "audio": 0, "model": 0])
        #expect(media?["media_ids_by_type"] == ["document": [], "image": [], "video": [], "audio": [], "model": []])
    }

    @Test func errorsUseChecksShape() throws {
        let f = try ApplicationFixture()
        let (missing, body) = f.send("GET", "/v1/batch/batch-nope", key: f.clientKey)
        #expect(missing.status == 404)
        #expect(body == ["error": ["code": "not_found", "message": "Batch not found"]])
        #expect(missing.header("X-Request-Id") == "req-test-1")
        let (unauthorized, unauthorizedBody) = f.send("GET", "/compat/check/v1/batch/batch-nope")
        #expect(unauthorized.status == 401)
        #expect(unauthorizedBody["error"]?["code"] == "unauthorized")
    }
}
