import BatchCodecs
import BatchDocuments
import BatchModel
import BatchStore

/// `GET /v1/media/{media_id}` and `GET /v1/media?collection=&page=&page_size=`:
/// the media records ingest created, the caller's tenant only.
public enum MediaHandlers {
    public static func show(_ context: RequestContext) throws(APIError) -> HTTPResponse {
        let caller = try context.caller
        let id = context.parameter("media_id")
        // An id no media can have names no media: 404, as for tenants (the id comes
        // from a document, so a malformed one is a stale or mangled link, not a typo to fix).
        if let problem = ResourceID.problem(with: id) {
            throw APIError(
                .notFound, "Media not found: \(String(id.prefix(100)))",
                details: [
                    "resource_type": "media", "media_id": .string(String(id.prefix(100))), "error": .string(problem.explanation.replacingBatch()),
                ])
        }
        let media = try context.withStore("get_media", details: ["media_id": .string(id)]) { connection throws(StoreError) in
            try MediaRecords(connection).find(id: id, tenantID: caller.tenant.id)
        }
        guard let media else { throw .notFound(resourceType: "media", id: id) }
        return NativeEnvelope.response(
            message: "Media retrieved successfully", data: MediaDocument.render(media), requestID: context.request.requestID)
    }

    public static func list(_ context: RequestContext) throws(APIError) -> HTTPResponse {
        let caller = try context.caller
        let query = context.request.query
        try query.requireOnly(["collection", "page", "page_size"])
        let page = try BatchResultsDocument.Page(query: QueryParameters(query.pairs.filter { $0.name != "collection" }))
        let collection = query["collection"]
        if let collection, collection.isEmpty { throw .invalidParameter("collection", "must not be empty") }
        let (rows, total) = try context.withStore("list_media") { connection throws(StoreError) in
            try MediaRecords(connection).list(tenantID: caller.tenant.id, collection: collection, offset: page.offset, limit: page.pageSize)
        }
        return HTTPResponse.json(
            200,
            [
                "success": true, "message": "Media retrieved successfully", "data": .array(rows.map(MediaDocument.render)),
                "pagination": [
                    "page": .integer(page.page), "page_size": .integer(page.pageSize), "total_items": .integer(total),
                    "total_pages": .integer((total + page.pageSize - 1) / page.pageSize),
                ],
                "metadata": ["request_id": .string(context.request.requestID), "api_version": .string(ServiceInfo.apiVersion)],
            ])
    }
}

extension String {
    /// "Batch ID must …" → "Media ID must …" for the shared id rules.
    fileprivate func replacingBatch() -> String { hasPrefix("Batch ID") ? "Media ID" + dropFirst("Batch ID".count) : self }
}
