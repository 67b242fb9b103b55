public import BatchCache
import BatchCodecs
import BatchDocuments
import BatchModel
import BatchStore

/// `GET /compat/talonic/v1/batches/{id}` (spec 004): under /compat because its
/// path clashes with Wickson's. The document is the whole body, cached like the
/// native status.
public enum TalonicBatchHandler {
    /// The cache entry a well-formed request reads (the route's `CacheKeyRule`).
    public static func cacheKey(_ context: RequestContext) -> StatusCacheKey? {
        let id = context.parameter("batch_id")
        guard let caller = context.principal, ResourceID.problem(with: id) == nil else { return nil }
        return StatusCacheKey(tenantID: caller.tenant.id, batchID: id, kind: .talonic)
    }

    public static func handle(_ context: RequestContext) throws(APIError) -> HTTPResponse {
        let caller = try context.caller
        guard let key = cacheKey(context) else { throw APIError(.notFound, "No batch with this ID exists for your organization") }
        let id = key.batchID
        let served = try StatusDocumentCache.serve(context, key: key) { connection throws(StoreError) -> StatusDocumentCache.Built? in
            guard let row = try BatchRecords(connection).find(id: id, tenantID: caller.tenant.id) else { return nil }
            let items = row.state == .completed ? try ItemRecords(connection).page(batchID: id, limit: TalonicBatchDocument.itemLimit) : []
            let document = TalonicBatchDocument.render(row, items: items, selfURL: context.request.path)
            return .init(body: JSONWriter.bytes(document), version: row.version, state: row.state)
        }
        guard let served else { throw APIError(.notFound, "No batch with this ID exists for your organization") }
        return HTTPResponse(status: 200, headers: [("Content-Type", HTTPResponse.jsonContentType)] + served.headers, body: served.body)
    }
}
