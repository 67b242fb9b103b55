public import BatchCache
import BatchCodecs
import BatchDocuments
import BatchModel
import BatchStore

/// `GET /v1/batch/{id}` and `GET /compat/check/v1/batch/{id}` (spec 002). The
/// document is the whole body (no envelope), cached like the native status;
/// errors are Check's.
public enum CheckBatchHandler {
    /// The cache entry a well-formed request reads (the route's `CacheKeyRule`).
    public static func cacheKey(_ context: RequestContext) -> StatusCacheKey? {
        let id = context.parameter("batch_id")
        guard let caller = context.principal, ResourceID.problem(with: id) == nil else { return nil }
        return StatusCacheKey(tenantID: caller.tenant.id, batchID: id, kind: .check)
    }

    public static func handle(_ context: RequestContext) throws(APIError) -> HTTPResponse {
        let caller = try context.caller
        // Check answers any unknown id, well-formed or not, with its 404.
        guard let key = cacheKey(context) else { throw APIError(.notFound, "Batch not found") }
        let id = key.batchID
        let served = try StatusDocumentCache.serve(context, key: key) { connection throws(StoreError) -> StatusDocumentCache.Built? in
            guard let row = try BatchRecords(connection).find(id: id, tenantID: caller.tenant.id) else { return nil }
            return .init(body: JSONWriter.bytes(CheckBatchDocument.render(row)), version: row.version, state: row.state)
        }
        guard let served else { throw APIError(.notFound, "Batch not found") }
        return HTTPResponse(status: 200, headers: [("Content-Type", HTTPResponse.jsonContentType)] + served.headers, body: served.body)
    }
}
