public import BatchCache
import BatchDocuments
import BatchModel
import BatchStore

/// `GET /v1/batches/{batch_id}` (spec 000). Validates the id, scopes the lookup
/// to the caller's tenant, and renders the status document from stored
/// counters, through the Redis cache (`StatusDocumentCache`).
public enum BatchStatusHandler {
    static let message = "Batch status retrieved successfully"

    /// The cache entry a well-formed request reads (the route's `CacheKeyRule`).
    public static func cacheKey(_ context: RequestContext) -> StatusCacheKey? {
        try? key(context).0
    }

    static func key(_ context: RequestContext) throws(APIError) -> (StatusCacheKey, BatchStatusDocument.Options) {
        let caller = try context.caller
        let id = try validatedID(context)
        let options = try BatchStatusDocument.Options(query: context.request.query)
        return (StatusCacheKey(tenantID: caller.tenant.id, batchID: id, kind: .status, query: options.cacheQuery), options)
    }

    public static func handle(_ context: RequestContext) throws(APIError) -> HTTPResponse {
        let caller = try context.caller
        let (key, options) = try key(context)
        let id = key.batchID
        let served = try StatusDocumentCache.serve(context, key: key) { connection throws(StoreError) -> StatusDocumentCache.Built? in
            guard let row = try BatchRecords(connection).find(id: id, tenantID: caller.tenant.id) else { return nil }
            let records = ItemRecords(connection)
            let items = options.includeJobDetails && !options.metricsOnly ? try records.page(batchID: id, limit: BatchStatusDocument.jobDetailsLimit) : nil
            let errors = options.includeErrors && row.failed > 0 ? try records.errorSummary(batchID: id) : []
            let document = BatchStatusDocument.render(row, items: items, errors: errors, options: options)
            return .init(body: NativeEnvelope.cacheablePrefix(message: message, data: document), version: row.version, state: row.state)
        }
        guard let served else { throw .batchNotFound(id) }
        return HTTPResponse(
            status: 200, headers: [("Content-Type", HTTPResponse.jsonContentType)] + served.headers,
            body: NativeEnvelope.completeCached(served.body, requestID: context.request.requestID, ttl: served.ttl, remaining: served.remaining))
    }

    /// The `batch_id` capture, or spec 000's 400 for an id of the wrong shape.
    static func validatedID(_ context: RequestContext) throws(APIError) -> String {
        let id = context.parameter("batch_id")
        if let problem = ResourceID.problem(with: id) { throw .invalidBatchID(id, problem) }
        return id
    }
}
