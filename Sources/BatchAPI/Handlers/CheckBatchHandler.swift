import BatchCache
import BatchModel
import BatchStore

/// `GET /v1/batch/{id}` and `GET /compat/check/v1/batch/{id}` (spec 002). The
/// document is the whole body (no envelope), cached like the native status;
/// errors are Check's.
public enum CheckBatchHandler {
    public static func handle(_ context: RequestContext) throws(APIError) -> HTTPResponse {
        let caller = try context.caller
        let id = context.parameter("batch_id")
        // Check answers any unknown id, well-formed or not, with its 404.
        guard ResourceID.problem(with: id) == nil else { throw APIError(.notFound, "Batch not found") }
        let key = StatusCacheKey(tenantID: caller.tenant.id, batchID: id, kind: .check)
        let served = try StatusDocumentCache.serve(context, key: key) { connection throws(StoreError) -> StatusDocumentCache.Built? in
            guard let row = try BatchRecords(connection).find(id: id, tenantID: caller.tenant.id) else { return nil }
            return .init(body: JSONWriter.bytes(CheckBatchDocument.render(row)), version: row.version, state: row.state)
        }
        guard let served else { throw APIError(.notFound, "Batch not found") }
        return HTTPResponse(status: 200, headers: [("Content-Type", HTTPResponse.jsonContentType)] + served.headers, body: served.body)
    }
}
