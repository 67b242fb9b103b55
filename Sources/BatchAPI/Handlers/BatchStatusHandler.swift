import BatchModel
import BatchStore

/// `GET /v1/batches/{batch_id}` (spec 000). Validates the id, scopes the lookup
/// to the caller's tenant, and renders the status document from stored counters.
public enum BatchStatusHandler {
    public static func handle(_ context: RequestContext) throws(APIError) -> HTTPResponse {
        let caller = try context.caller
        let id = try validatedID(context)
        let row = try context.withStore("get_batch_status", details: ["batch_id": .string(id)]) { connection throws(StoreError) in
            try BatchRecords(connection).find(id: id, tenantID: caller.tenant.id)
        }
        guard let row else { throw .batchNotFound(id) }
        let finished = row.succeeded + row.failed + row.cancelled + row.expired
        let percentage = row.totalItems == 0 ? 0 : (Double(finished) * 1000 / Double(row.totalItems)).rounded() / 10
        let data: JSONValue = [
            "batch_id": .string(row.id),
            "batch_name": .string(row.name),
            "status": .string(row.state.nativeName),
            "progress": [
                "percentage": .double(percentage),
                "completed": .integer(row.succeeded),
                "failed": .integer(row.failed),
                "pending": .integer(row.pending),
                "processing": .integer(row.processing),
                "total": .integer(row.totalItems),
            ],
            "timing": [
                "created_at": .string(row.createdAt.iso8601),
                "started_at": .optional(row.startedAt?.iso8601),
                "updated_at": .string(row.updatedAt.iso8601),
                "completed_at": .optional(row.completedAt?.iso8601),
            ],
        ]
        return NativeEnvelope.response(
            message: "Batch status retrieved successfully", data: data, requestID: context.request.requestID,
            metadata: ["cache_ttl": 0, "cache_remaining": 0])
    }

    /// The `batch_id` capture, or spec 000's 400 for an id of the wrong shape.
    static func validatedID(_ context: RequestContext) throws(APIError) -> String {
        let id = context.parameter("batch_id")
        if let problem = ResourceID.problem(with: id) { throw .invalidBatchID(id, problem) }
        return id
    }
}
