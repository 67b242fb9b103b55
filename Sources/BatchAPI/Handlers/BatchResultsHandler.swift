import BatchCodecs
import BatchDocuments
import BatchModel
import BatchStore

/// `GET /v1/batches/{batch_id}/results` (spec 001): `page` ≥ 1, `page_size`
/// 1–1000 (default 100). A page past the end is an empty page with correct pagination.
public enum BatchResultsHandler {
    public static func handle(_ context: RequestContext) throws(APIError) -> HTTPResponse {
        let caller = try context.caller
        let id = try BatchStatusHandler.validatedID(context)
        let page = try BatchResultsDocument.Page(query: context.request.query)
        let result = try context.withStore("get_batch_results", details: ["batch_id": .string(id)]) {
            connection throws(StoreError) -> (JSONValue, String)? in
            guard let row = try BatchRecords(connection).find(id: id, tenantID: caller.tenant.id) else { return nil }
            let records = ItemRecords(connection)
            let items = page.offset < row.totalItems ? try records.page(batchID: id, afterSeq: page.offset, limit: page.pageSize) : []
            let document = BatchResultsDocument.render(
                row, items: items, media: try records.mediaCounts(batchID: id), errors: row.failed > 0 ? try records.errorSummary(batchID: id) : [],
                page: page)
            return (document, row.collection)
        }
        guard let (document, collection) = result else { throw .batchNotFound(id) }
        return NativeEnvelope.response(
            message: "Batch results retrieved successfully", data: document, requestID: context.request.requestID,
            metadata: ["related_endpoints": ["media_details": "/v1/media/{media_id}", "list_media": .string("/v1/media?collection=\(collection)")]])
    }
}
