/// Finds the route for a method and path. Immutable once built, shared by all workers.
public struct Router: Sendable {
    public enum Match {
        case found(Route, parameters: RouteParameters)
        /// The path exists with other methods; the answer is 405 with `Allow`.
        case methodNotAllowed(allowed: [String])
        case notFound

        /// The matched route, if any.
        public var route: Route? {
            if case .found(let route, _) = self { return route }
            return nil
        }

        /// The path's captures (none unless a route matched).
        public var parameters: RouteParameters {
            if case .found(_, let parameters) = self { return parameters }
            return RouteParameters()
        }
    }

    public let routes: [Route]
    /// The routes by their patterns' segment count, in declaration order: a path is
    /// compared only with the patterns it could fit.
    private let routesBySegmentCount: [[Route]]

    public init(_ routes: [Route]) {
        self.routes = routes
        var grouped = [[Route]](repeating: [], count: (routes.map(\.pattern.segmentCount).max() ?? 0) + 1)
        for route in routes { grouped[route.pattern.segmentCount].append(route) }
        routesBySegmentCount = grouped
    }

    public func match(method: String, path: String) -> Match {
        Self.withSegments(of: path) { segments in
            guard let segments else { return .notFound }
            // HEAD is answered like GET; nginx drops the body.
            let effective = method == "HEAD" ? "GET" : method
            var allowed: [String] = []
            guard segments.count < routesBySegmentCount.count else { return .notFound }
            for route in routesBySegmentCount[segments.count] {
                guard let parameters = route.pattern.match(segments) else { continue }
                if route.method == effective { return .found(route, parameters: parameters) }
                allowed.append(route.method)
            }
            if allowed.isEmpty { return .notFound }
            if allowed.contains("GET") { allowed.append("HEAD") }
            return .methodNotAllowed(allowed: allowed)
        }
    }

    /// The segments of an absolute path, split on `/` over its bytes (a split over
    /// Characters was half the route match's time); nil when a segment is empty
    /// (`//`, a trailing `/`): paths are exact.
    static func segments(of path: String) -> [Substring]? {
        withSegments(of: path) { $0.map(Array.init) }
    }

    /// `body` with the path's segments (as `segments(of:)`) in scratch space on the stack:
    /// every request is routed, and a list of them was an allocation each.
    static func withSegments<Result>(of path: String, _ body: (UnsafeBufferPointer<Substring>?) -> Result) -> Result {
        let bytes = path.utf8
        guard bytes.first == UInt8(ascii: "/") else { return body(nil) }
        let count = bytes.reduce(0) { $1 == UInt8(ascii: "/") ? $0 + 1 : $0 }
        return withUnsafeTemporaryAllocation(of: Substring.self, capacity: count) { segments in
            var filled = 0
            defer { _ = segments.extracting(..<filled).deinitialize() }
            var start = bytes.index(after: bytes.startIndex)
            var cursor = start
            while cursor < bytes.endIndex {
                if bytes[cursor] == UInt8(ascii: "/") {
                    guard cursor > start else { return body(nil) }
                    segments.initializeElement(at: filled, to: path[start..<cursor])
                    filled += 1
                    start = bytes.index(after: cursor)
                }
                cursor = bytes.index(after: cursor)
            }
            guard bytes.endIndex > start else { return body(nil) }
            segments.initializeElement(at: filled, to: path[start..<bytes.endIndex])
            filled += 1
            return body(UnsafeBufferPointer(rebasing: segments[..<filled]))
        }
    }
}
