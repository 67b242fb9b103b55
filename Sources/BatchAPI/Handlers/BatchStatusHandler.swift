import BatchCache
public import BatchDocuments
import BatchModel
import BatchStore

/// `GET /v1/batches/{batch_id}` (spec 000): the status document, rendered from
/// stored counters, in the native envelope, through the status cache.
public enum BatchStatusHandler {
    static let message = "Batch status retrieved successfully"
    /// The cache key's spelling of the options of a request without a query (most polls).
    static let plainCacheQuery = BatchStatusDocument.Options().cacheQuery

    public static let view = CachedStatusView<BatchStatusDocument.Options>(
        kind: .status, dialect: .native,
        readOptions: { query throws(APIError) in
            if query.isEmpty { return (BatchStatusDocument.Options(), plainCacheQuery) }
            let options = try BatchStatusDocument.Options(query: query)
            return (options, options.cacheQuery)
        },
        malformedID: { id, problem in .invalidBatchID(id, problem) }, notFound: { .batchNotFound($0) },
        build: { connection, row, options, _ throws(StoreError) in
            let records = ItemRecords(connection)
            let items =
                options.includeJobDetails && !options.metricsOnly
                ? try records.page(batchID: row.id, limit: BatchStatusDocument.jobDetailsLimit) : nil
            let errors = options.includeErrors && row.failed > 0 ? try records.errorSummary(batchID: row.id) : []
            let document = BatchStatusDocument.render(row, items: items, errors: errors, options: options)
            return NativeEnvelope.cacheablePrefix(message: message, data: document)
        },
        answer: { served, context in
            HTTPResponse(
                status: 200, headers: served.responseHeaders,
                body: NativeEnvelope.completeCached(served.body, requestID: context.request.requestID, ttl: served.ttl, remaining: served.remaining))
        })

    /// The `batch_id` capture, or spec 000's 400 for an id of the wrong shape.
    static func validatedID(_ context: RequestContext) throws(APIError) -> String {
        let id = context.parameter("batch_id")
        if let problem = ResourceID.problem(with: id) { throw .invalidBatchID(id, problem) }
        return id
    }
}
