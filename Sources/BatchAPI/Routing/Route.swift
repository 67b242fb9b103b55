public import BatchCache
import BatchModel

/// Who may call a route.
public enum Access: Sendable {
    /// No key needed (`/healthz`, `/readyz`).
    case open
    /// Any valid key.
    case client
    /// A tenant's `admin` keys (acting on their own tenant only) and `operator` keys; client keys get 403.
    case admin
    /// `operator` keys only: every tenant, server settings.
    case `operator`

    /// The least role that may call a route with this access (nil: no key needed).
    var requiredRole: KeyRole? {
        switch self {
        case .open: return nil
        case .client: return .client
        case .admin: return .admin
        case .operator: return .operator
        }
    }
}

/// Answers one matched route. Takes everything through the context so it can be
/// called in tests without sockets.
public typealias RouteHandler = @Sendable (RequestContext) throws(APIError) -> HTTPResponse

/// For routes that answer from the status cache: the entry a request will read,
/// or nil when the request is malformed (the handler then answers the error).
/// Lets the application read it in the same Redis round trip as the rate limit.
public typealias CacheKeyRule = @Sendable (RequestContext) -> StatusCacheKey?

/// A method, a path pattern such as `/v1/batches/{batch_id}`, who may call it, and its handler.
public struct Route: Sendable {
    public let method: String
    public let pattern: RoutePattern
    public let access: Access
    public let dialect: ErrorDialect
    public let handler: RouteHandler
    public let cacheKey: CacheKeyRule?

    public init(
        _ method: String, _ pattern: String, access: Access = .client, dialect: ErrorDialect = .native, cacheKey: CacheKeyRule? = nil,
        _ handler: @escaping RouteHandler
    ) {
        self.method = method
        self.pattern = RoutePattern(pattern)
        self.access = access
        self.dialect = dialect
        self.cacheKey = cacheKey
        self.handler = handler
    }
}

/// A path split into literal segments and `{name}` captures.
public struct RoutePattern: Sendable, Equatable, CustomStringConvertible {
    enum Segment: Sendable, Equatable {
        case literal(String)
        case capture(String)
    }

    let segments: [Segment]
    public let description: String

    public init(_ pattern: String) {
        description = pattern
        segments = pattern.split(separator: "/").map { part in
            part.hasPrefix("{") && part.hasSuffix("}") ? .capture(String(part.dropFirst().dropLast())) : .literal(String(part))
        }
    }

    /// The captures when `pathSegments` fits the pattern. Literals are compared first,
    /// so the routes that do not fit (nearly all of them) cost no allocation.
    func match(_ pathSegments: some RandomAccessCollection<Substring>) -> RouteParameters? {
        guard pathSegments.count == segments.count else { return nil }
        var captureCount = 0
        for (segment, part) in zip(segments, pathSegments) {
            switch segment {
            case .literal(let text): if part != text { return nil }
            case .capture: captureCount += 1
            }
        }
        guard captureCount > 0 else { return RouteParameters() }
        var captures = RouteParameters()
        for case (.capture(let name), let part) in zip(segments, pathSegments) { captures[name] = String(part) }
        return captures
    }

    /// How many segments a path needs to fit.
    var segmentCount: Int { segments.count }
}
