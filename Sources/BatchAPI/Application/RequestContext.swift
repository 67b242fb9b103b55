public import BatchCache
public import BatchCodecs
public import BatchModel
public import BatchStore
public import Logging

/// Everything a handler sees: the request, the route's captures, the caller
/// (once authenticated) and the worker's resources.
public final class RequestContext {
    public let request: HTTPRequest
    public let parameters: RouteParameters
    public let resources: WorkerResources
    public internal(set) var principal: Principal? { didSet { madeLogger = nil } }
    private let requestLogger: RequestLogger
    private var madeLogger: Logger?

    /// The request's logger: the worker's, with the request id and (once known) the
    /// tenant as metadata. Made on first use (most answers log nothing) from the
    /// worker's `RequestLogger`.
    public var logger: Logger {
        if let madeLogger { return madeLogger }
        let made = requestLogger.with(requestID: request.requestID, tenant: principal?.tenant.id)
        madeLogger = made
        return made
    }
    /// A status-cache read already made in the rate limit's round trip.
    /// The rate limiter's decision, once the request was charged: its headers go on
    /// every answer, errors included.
    public internal(set) var rateLimitVerdict: RateLimitVerdict?
    public internal(set) var prefetched: (key: StatusCacheKey, reply: RedisReply)?
    /// A streamed body once read whole, so it can be read again.
    private var bodyCache: [UInt8]?
    /// When batchd began this request (monotonic microseconds, the clock reading
    /// the request's log line is timed from).
    public let startedAt: Int64

    public convenience init(
        request: HTTPRequest, parameters: RouteParameters, resources: WorkerResources, principal: Principal? = nil, logger: Logger,
        startedAt: Int64 = SystemClock.monotonicMicroseconds()
    ) {
        self.init(
            request: request, parameters: parameters, resources: resources, principal: principal, requestLogger: RequestLogger(logger),
            startedAt: startedAt)
    }

    /// A context whose logger comes from the worker's reused `requestLogger`.
    init(
        request: HTTPRequest, parameters: RouteParameters, resources: WorkerResources, principal: Principal? = nil,
        requestLogger: RequestLogger, startedAt: Int64
    ) {
        self.startedAt = startedAt
        self.request = request
        self.parameters = parameters
        self.resources = resources
        self.principal = principal
        self.requestLogger = requestLogger
    }

    /// The authenticated caller. Routes with `.client` or `.admin` access always have one.
    public var caller: Principal {
        get throws(APIError) {
            guard let principal else { throw APIError(.unauthorized, "Missing API key") }
            return principal
        }
    }

    /// The worker's store connection, or 503 when the database cannot be opened.
    public func store(operation: String) throws(APIError) -> any StoreConnection {
        do {
            return try resources.store()
        } catch {
            logger.error("cannot open database", metadata: ["error": "\(error)"])
            throw APIError(
                .serviceUnavailable, "The database is unavailable; retry shortly", details: ["operation": .string(operation)],
                headers: [("Retry-After", "1")])
        }
    }

    /// Refuses to begin a write that could be answered only after nginx has given
    /// up on the request (its `fastcgi_read_timeout`): a client that got a 504
    /// must be able to trust that nothing was stored. Call before the transaction.
    public func requireTimeToCommit(_ operation: String) throws(APIError) {
        let elapsed = (SystemClock.monotonicMicroseconds() - startedAt) / 1000
        let budget = Int64(resources.service.commitDeadlineMilliseconds)
        guard elapsed > budget else { return }
        logger.warning("write refused: too late to answer", metadata: ["operation": "\(operation)", "elapsed_ms": "\(elapsed)"])
        throw APIError(
            .serviceUnavailable, "The request took too long to prepare and was not applied; nothing was stored. Send it again, or in smaller parts",
            details: ["operation": .string(operation), "elapsed_ms": .integer(elapsed), "limit_ms": .integer(budget)], headers: [("Retry-After", "1")]
        )
    }

    /// Runs a store call, mapping its failure to the wire in the one shared way.
    public func withStore<T>(
        _ operation: String, details: JSONObject = JSONObject(), _ body: (any StoreConnection) throws(StoreError) -> T
    ) throws(APIError) -> T {
        let connection = try store(operation: operation)
        do {
            let result = try body(connection)
            resources.metrics.dependencies.record(.sqlite, up: true)
            return result
        } catch {
            switch error {
            case .sqlite, .postgres: logger.error("store failure", metadata: ["operation": "\(operation)", "error": "\(error)"])
            default: break
            }
            if error.isStorageFault { resources.metrics.dependencies.record(.sqlite, up: false, reason: "\(error)") }
            throw APIError(error, operation: operation, details: details)
        }
    }

    /// Removes a batch's cached status documents after a committed change and
    /// before its answer is sent, so the very next read shows the change.
    /// `version` (the batch's version after the change) keeps slower readers of
    /// the old state from writing it back; nil when the batch is gone.
    public func invalidateCachedDocuments(_ batch: BatchIdentity, version: Int?) {
        resources.invalidator.invalidate(resources.redis, batch: batch, version: version)
    }

    /// The route capture `name`; routes always define the captures their handlers read.
    public func parameter(_ name: String) -> String { parameters[name] ?? "" }

    /// The whole body in memory: the buffered body, or a streamed one read to its
    /// end when it is at most `limit` bytes (413 otherwise, before reading it).
    public func wholeBody(limit: Int) throws(APIError) -> [UInt8] {
        if let bodyCache { return bodyCache }
        guard let stream = request.bodyStream else { return request.body }
        guard stream.remaining <= limit else {
            throw APIError(
                .payloadTooLarge, "This request's body may be at most \(limit) bytes; it has \(request.declaredBodyLength)",
                details: ["limit_bytes": .integer(limit), "content_length": .integer(request.declaredBodyLength)])
        }
        var bytes = [UInt8](repeating: 0, count: stream.remaining)
        var filled = 0
        bytes.withUnsafeMutableBytes { buffer in
            while filled < buffer.count {
                let n = stream.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
                if n <= 0 { break }
                filled += n
            }
        }
        guard filled == bytes.count else {
            throw APIError(
                .validationError, "Request body ended before its declared length", details: ["content_length": .integer(request.declaredBodyLength)])
        }
        bodyCache = bytes
        return bytes
    }

    /// The request body as a JSON object, or a 400 that says why not. An empty
    /// body is a 400 unless `required` is false (then it reads as `{}`), as the
    /// contract says of each operation.
    public func jsonObjectBody(required: Bool = true) throws(APIError) -> JSONObject {
        try jsonObjectBody(deferringArrayAt: nil, required: required).object
    }

    /// The request body as a JSON object with the array under `key` left in the
    /// body to be read a row at a time (`JSONParser.parse(_:deferringArrayAt:)`).
    public func jsonObjectBody(
        deferringArrayAt key: String?, required: Bool = true
    ) throws(APIError) -> (object: JSONObject, deferred: JSONLazyArray?) {
        let body = try wholeBody(limit: resources.service.maxInMemoryBodyBytes)
        if body.isEmpty {
            guard required else { return (JSONObject(), nil) }
            throw APIError(.validationError, "A JSON object body is required", details: ["error": "empty body"])
        }
        let parsed: (value: JSONValue, deferred: JSONLazyArray?)
        do {
            parsed = try JSONParser.parse(body, deferringArrayAt: key)
        } catch {
            throw APIError.notJSON(error)
        }
        guard case .object(let object) = parsed.value else {
            throw APIError(.validationError, "Request body must be a JSON object", details: ["error": "expected a JSON object"])
        }
        return (object, parsed.deferred)
    }
}
