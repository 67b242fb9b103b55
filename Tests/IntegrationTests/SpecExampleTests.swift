import Foundation
import Testing

/// The Python examples of specs 000, 001 and 003, run against the live stack with
/// only the base URL, key and batch id changed (Tests/IntegrationTests/SpecExamples).
@Suite(.serialized) struct SpecExampleTests {
    func run(_ script: String, stack: TestStack, batchID: String) throws -> String {
        let path = TestStack.repositoryRoot + "/Tests/IntegrationTests/SpecExamples/" + script
        return try stack.run(
            "/usr/bin/env",
            [
                "BATCHD_URL=http://127.0.0.1:\(stack.port)", "BATCHD_KEY=\(stack.clientKey)", "BATCHD_BATCH_ID=\(batchID)", "/usr/bin/python3", path,
            ])
    }

    @Test func examplesOfSpecs000001And003() throws {
        let stack = try TestStack()
        defer { stack.stop() }
        let png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
        let created = try stack.sendJSON(
            "POST", "/v1/batches", key: stack.clientKey,
            #"{"batch_name":"Monthly Reports Processing","collection":"reports-collection","items":[{"content_base64":"\#(png)","filename":"chart.png"},{"content":"quarterly summary","filename":"q4_summary.txt"},{"content_base64":"AAECAw==","filename":"financial_data.xlsx"}]}"#
        )
        let id = try #require((created.json["data"] as? [String: Any])?["batch_id"] as? String)
        try stack.waitUntil(seconds: 20, "the batch to complete") {
            ((try? stack.get("/v1/batches/\(id)", key: stack.clientKey))?.json["data"] as? [String: Any])?["status"] as? String == "completed"
        }

        let status = try run("000_status.py", stack: stack, batchID: id)
        #expect(status.contains("Batch: Monthly Reports Processing (\(id))"))
        #expect(status.contains("Status: COMPLETED"))
        #expect(status.contains("Progress: 100.0% (2 of 3 complete)"))
        #expect(status.contains(" - format_error (1 files): Ensure file is in a supported format"))

        let results = try run("001_results.py", stack: stack, batchID: id)
        #expect(results.contains("Collection: reports-collection"))
        #expect(results.contains("Completion: 2/3 items (66.7%)"))
        #expect(results.contains("OK chart.png - vec-"))
        #expect(results.contains("X financial_data.xlsx - None"))
        #expect(results.contains("Total created media items: 2"))
        #expect(results.contains(" image: 1 items"))

        let open = try stack.sendJSON("POST", "/v1/batches", key: stack.clientKey, #"{"processor":"noop","submit":false}"#)
        let openID = try #require((open.json["data"] as? [String: Any])?["batch_id"] as? String)
        let cancelled = try run("003_cancel.py", stack: stack, batchID: openID)
        #expect(cancelled.contains("Batch \(openID) state changed:"))
        #expect(cancelled.contains("  accumulating -> cancelled"))
        #expect(cancelled.contains("  Timestamp: "))
        #expect(!cancelled.contains("Error"))
    }
}
