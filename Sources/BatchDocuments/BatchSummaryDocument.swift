public import BatchCodecs
import BatchModel
public import BatchStore

/// The short description of a batch that creation answers with and listings
/// hold: identity, state, size, and where to go next. Listings add `counts`
/// (items per state, from the batch's counters) so a page of batches shows each
/// one's progress without a status request per batch.
public enum BatchSummaryDocument {
    public static func render(_ batch: BatchRow, withCounts: Bool = false) -> JSONValue {
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
        if withCounts {
            object["counts"] = [
                "pending": .integer(batch.pending), "processing": .integer(batch.processing), "succeeded": .integer(batch.succeeded),
                "failed": .integer(batch.failed), "cancelled": .integer(batch.cancelled), "expired": .integer(batch.expired),
            ]
        }
        if let message = batch.errorMessage { object["error_message"] = .string(message) }
        if let errors = batch.validationErrors, let parsed = try? JSONParser.parse(errors) { object["validation_errors"] = parsed }
        return .object(object)
    }
}
