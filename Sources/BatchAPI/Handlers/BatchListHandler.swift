import BatchCodecs
import BatchDocuments
import BatchModel
public import BatchStore

/// `GET /v1/batches`: the caller's batches, newest first, with filters
/// (`status`, `collection`, `created_after`, `created_before`) and cursor
/// pagination (`limit` 1–100, default 20; `after` = the last id of the previous page).
public enum BatchListHandler {
    static let parameters: Set<String> = ["status", "collection", "created_after", "created_before", "limit", "after"]

    public static func handle(_ context: RequestContext) throws(APIError) -> HTTPResponse {
        let caller = try context.caller
        let query = try parse(context.request.query)
        let (rows, hasMore) = try context.withStore("list_batches") { connection throws(StoreError) in
            try BatchRecords(connection).list(tenantID: caller.tenant.id, query)
        }
        let data: JSONValue = .array(rows.map { BatchSummaryDocument.render($0, withCounts: true) })
        let pagination: JSONValue = [
            "limit": .integer(query.limit), "has_more": .bool(hasMore),
            "next_cursor": hasMore ? .optional(rows.last?.id) : .null,
        ]
        return HTTPResponse.json(
            200,
            [
                "success": true, "message": "Batches retrieved successfully", "data": data, "pagination": pagination,
                "metadata": ["request_id": .string(context.request.requestID), "api_version": .string(ServiceInfo.apiVersion)],
            ])
    }

    public static func parse(_ parameters: QueryParameters) throws(APIError) -> BatchRecords.ListQuery {
        try parameters.requireOnly(Self.parameters)
        var query = BatchRecords.ListQuery()
        if let text = parameters["status"] {
            for word in text.split(separator: ",", omittingEmptySubsequences: false) {
                guard let state = BatchState.allCases.first(where: { $0.nativeName == word }) else {
                    throw .invalidParameter("status", "'\(word)' is not one of \(BatchState.allCases.map(\.nativeName).joined(separator: ", "))")
                }
                query.states.append(state)
            }
        }
        if let collection = parameters["collection"] {
            guard !collection.isEmpty else { throw .invalidParameter("collection", "must not be empty") }
            query.collection = collection
        }
        for name in ["created_after", "created_before"] {
            guard let text = parameters[name] else { continue }
            guard let time = Timestamp(iso8601: text) else {
                throw .invalidParameter(name, "must be an ISO 8601 date or time, e.g. 2024-12-18T10:00:00Z")
            }
            if name == "created_after" { query.createdAfter = time } else { query.createdBefore = time }
        }
        if let text = parameters["limit"] {
            guard let limit = Int(text), (1...100).contains(limit) else { throw .invalidParameter("limit", "must be an integer from 1 to 100") }
            query.limit = limit
        }
        if let after = parameters["after"] {
            guard ResourceID.problem(with: after) == nil else { throw .invalidParameter("after", "must be a batch id from next_cursor") }
            query.after = after
        }
        return query
    }
}
