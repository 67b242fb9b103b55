public import BatchCodecs
import BatchModel
public import BatchStore

/// The short description of a batch that creation answers with and listings
/// hold: identity, state, size, and where to go next.
public enum BatchSummaryDocument {
    public static func render(_ batch: BatchRow) -> JSONValue {
        var object: JSONObject = [
            "batch_id": .string(batch.id),
            "batch_name": .string(batch.name),
            "collection": .string(batch.collection),
            "processor": .string(batch.processor),
            "status": .string(batch.state.nativeName),
            "total_items": .integer(batch.totalItems),
            "created_at": .string(batch.createdAt.iso8601),
            "links": [
                "status": .string("/v1/batches/\(batch.id)"),
                "results": .string("/v1/batches/\(batch.id)/results"),
                "state": .string("/v1/batches/\(batch.id)/state"),
            ],
        ]
        if let message = batch.errorMessage { object["error_message"] = .string(message) }
        if let errors = batch.validationErrors, let parsed = try? JSONParser.parse(errors) { object["validation_errors"] = parsed }
        return .object(object)
    }
}
