import BatchModel
import BatchStore

/// `GET /v1/batches/{batch_id}` (spec 000). Validates the id, scopes the lookup
/// to the caller's tenant, and renders the status document from stored counters.
public enum BatchStatusHandler {
    public static func handle(_ context: RequestContext) throws(APIError) -> HTTPResponse {
        let caller = try context.caller
        let id = try validatedID(context)
        let options = try BatchStatusDocument.Options(query: context.request.query)
        let document = try context.withStore("get_batch_status", details: ["batch_id": .string(id)]) { connection throws(StoreError) -> JSONValue? in
            guard let row = try BatchRecords(connection).find(id: id, tenantID: caller.tenant.id) else { return nil }
            let records = ItemRecords(connection)
            let items = options.includeJobDetails && !options.metricsOnly ? try records.page(batchID: id, limit: BatchStatusDocument.jobDetailsLimit) : nil
            let errors = options.includeErrors && row.failed > 0 ? try records.errorSummary(batchID: id) : []
            return BatchStatusDocument.render(row, items: items, errors: errors, options: options)
        }
        guard let document else { throw .batchNotFound(id) }
        return NativeEnvelope.response(
            message: "Batch status retrieved successfully", data: document, requestID: context.request.requestID,
            metadata: ["cache_ttl": 0, "cache_remaining": 0])
    }

    /// The `batch_id` capture, or spec 000's 400 for an id of the wrong shape.
    static func validatedID(_ context: RequestContext) throws(APIError) -> String {
        let id = context.parameter("batch_id")
        if let problem = ResourceID.problem(with: id) { throw .invalidBatchID(id, problem) }
        return id
    }
}
