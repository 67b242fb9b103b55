/// Finds the route for a method and path. Immutable once built, shared by all workers.
public struct Router: Sendable {
    public enum Match {
        case found(Route, parameters: [String: String])
        /// The path exists with other methods; the answer is 405 with `Allow`.
        case methodNotAllowed(allowed: [String])
        case notFound

        /// The matched route, if any.
        public var route: Route? {
            if case .found(let route, _) = self { return route }
            return nil
        }

        /// The path's captures (none unless a route matched).
        public var parameters: [String: String] {
            if case .found(_, let parameters) = self { return parameters }
            return [:]
        }
    }

    public let routes: [Route]

    public init(_ routes: [Route]) { self.routes = routes }

    public func match(method: String, path: String) -> Match {
        // An empty segment ("//", trailing "/") matches nothing: paths are exact.
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        guard path.hasPrefix("/"), !parts.contains(where: \.isEmpty) else { return .notFound }
        let segments = Array(parts)
        // HEAD is answered like GET; nginx drops the body.
        let effective = method == "HEAD" ? "GET" : method
        var allowed: [String] = []
        for route in routes {
            guard let parameters = route.pattern.match(segments) else { continue }
            if route.method == effective { return .found(route, parameters: parameters) }
            allowed.append(route.method)
        }
        if allowed.isEmpty { return .notFound }
        if allowed.contains("GET") { allowed.append("HEAD") }
        return .methodNotAllowed(allowed: allowed)
    }
}
