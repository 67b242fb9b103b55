public import BatchCache
public import BatchModel
public import BatchStore

/// One shape for the three views of a batch that answer from the status cache
/// (native status, Check, Talonic): the `batch_id` capture checked, the query
/// read into the view's options (whose canonical spelling is part of the cache
/// key), the document built from SQLite on a miss and served through
/// `StatusDocumentCache`, and the view's own 404. A view differs only in these
/// pieces; `route(_:)` makes its route, cache-key rule included.
public struct CachedStatusView<Options: Sendable>: Sendable {
    public typealias ReadOptions = @Sendable (QueryParameters) throws(APIError) -> (options: Options, cacheQuery: String)
    public typealias Build = @Sendable (any StoreConnection, BatchRow, Options, RequestContext) throws(StoreError) -> [UInt8]
    public typealias Answer = @Sendable (StatusDocumentCache.Served, RequestContext) -> HTTPResponse

    public let kind: CachedDocumentKind
    public let dialect: ErrorDialect
    let readOptions: ReadOptions
    /// The answer to a `batch_id` of the wrong shape: spec 000's 400, or a dialect's 404.
    let malformedID: @Sendable (_ id: String, _ problem: ResourceID.Problem) -> APIError
    /// The answer when the caller's tenant has no such batch.
    let notFound: @Sendable (_ id: String) -> APIError
    let build: Build
    let answer: Answer

    public init(
        kind: CachedDocumentKind, dialect: ErrorDialect, readOptions: @escaping ReadOptions,
        malformedID: @escaping @Sendable (String, ResourceID.Problem) -> APIError, notFound: @escaping @Sendable (String) -> APIError,
        build: @escaping Build, answer: @escaping Answer
    ) {
        self.kind = kind
        self.dialect = dialect
        self.readOptions = readOptions
        self.malformedID = malformedID
        self.notFound = notFound
        self.build = build
        self.answer = answer
    }

    /// The GET route at `pattern` (which captures `batch_id`) serving this view.
    public func route(_ pattern: String) -> Route {
        Route("GET", pattern, dialect: dialect, cacheKey: cacheKey, handle)
    }

    /// The cache entry a well-formed request reads (the route's `CacheKeyRule`).
    public func cacheKey(_ context: RequestContext) -> StatusCacheKey? { try? key(context).0 }

    func key(_ context: RequestContext) throws(APIError) -> (StatusCacheKey, Options) {
        let caller = try context.caller
        let id = context.parameter("batch_id")
        if let problem = ResourceID.problem(with: id) { throw malformedID(id, problem) }
        let (options, cacheQuery) = try readOptions(context.request.query)
        return (StatusCacheKey(tenantID: caller.tenant.id, batchID: id, kind: kind, query: cacheQuery), options)
    }

    public func handle(_ context: RequestContext) throws(APIError) -> HTTPResponse {
        let caller = try context.caller
        let (key, options) = try key(context)
        let served = try StatusDocumentCache.serve(context, key: key) { connection throws(StoreError) -> StatusDocumentCache.Built? in
            guard let row = try BatchRecords(connection).find(id: key.batchID, tenantID: caller.tenant.id) else { return nil }
            return .init(body: try build(connection, row, options, context), version: row.version, state: row.state)
        }
        guard let served else { throw notFound(key.batchID) }
        return answer(served, context)
    }
}

extension CachedStatusView where Options == Void {
    /// For views that take no options: any query is ignored, as the services they mimic do.
    public static var noOptions: ReadOptions { { _ throws(APIError) in ((), "") } }

    /// The whole body is the document (no envelope), as Check and Talonic send it.
    public static var bareDocument: Answer {
        { served, _ in HTTPResponse(status: 200, headers: served.responseHeaders, body: served.body) }
    }
}
