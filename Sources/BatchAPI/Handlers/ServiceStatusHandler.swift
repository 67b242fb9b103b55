import BatchCodecs
import BatchModel
import BatchStore

/// `GET /v1/status`: who the key belongs to, its tenant's limits, and the
/// service's version and dependencies (probed at most once a second per worker).
public enum ServiceStatusHandler {
    /// What a worker last rendered: for the same caller and dependencies the
    /// envelope up to its request id is the same bytes (clients poll this).
    struct Rendered {
        var caller: Principal
        var dependencies: (sqlite: Bool, redis: Bool)
        var prefix: [UInt8]
    }

    static let message = "Service status retrieved successfully"

    public static func handle(_ context: RequestContext) throws(APIError) -> HTTPResponse {
        let caller = try context.caller
        let dependencies = DependencyProbe.check(context.resources, maxAgeMilliseconds: 1000)
        let prefix: [UInt8]
        if let last = context.resources.serviceStatusRendered, last.caller == caller, last.dependencies == dependencies {
            prefix = last.prefix
        } else {
            prefix = NativeEnvelope.cacheablePrefix(message: message, data: data(context, caller: caller, dependencies: dependencies))
            context.resources.serviceStatusRendered = Rendered(caller: caller, dependencies: dependencies, prefix: prefix)
        }
        return HTTPResponse(
            status: 200, headers: HTTPResponse.jsonHeaders([]), body: NativeEnvelope.complete(prefix, requestID: context.request.requestID))
    }

    static func data(_ context: RequestContext, caller: Principal, dependencies: (sqlite: Bool, redis: Bool)) -> JSONValue {
        let policy = caller.tenant.rateLimit
        let data: JSONValue = [
            "tenant": ["id": .string(caller.tenant.id), "name": .string(caller.tenant.name)],
            "key": ["id": .string(caller.keyID), "role": .string(caller.role.rawValue)],
            "rate_limit": [
                "limit": .integer(policy.limit),
                "window_seconds": .integer(policy.windowSeconds),
                "burst": .integer(policy.burst),
                "write_limit": policy.writeLimit.map { .integer($0) } ?? .null,
                "policy": .string(policy.policyHeader),
            ],
            "service": [
                "name": "batchd",
                "version": .string(ServiceInfo.version),
                "api_version": .string(ServiceInfo.apiVersion),
                "started_at": .string(context.resources.service.startedAt.iso8601),
                // `sqlite` is the store's database whichever backend it is (the name came first).
                "sqlite": .string(dependencies.sqlite ? "up" : "down"),
                "store": .string(context.resources.database.dialect.rawValue),
                "redis": .string(dependencies.redis ? "up" : "down"),
            ],
        ]
        return data
    }
}
