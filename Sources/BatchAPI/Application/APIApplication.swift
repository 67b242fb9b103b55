import BatchCache
import BatchCodecs
import BatchModel
public import Logging

/// The request pipeline of one worker thread: body limit, routing, 404/405,
/// authentication, the handler, and the error envelope, with one log line per
/// request carrying its request id.
///
/// `respond` never throws and never traps on client input: every failure becomes
/// an envelope with the request id in the body and in `X-Request-Id`.
public final class APIApplication {
    public let router: Router
    public let resources: WorkerResources
    public let logger: Logger
    /// Each request's logger, made from `logger` (this worker answers one request at a time).
    private let requestLogger: RequestLogger
    private var requestLineFields: Logger.Metadata = [:]
    private var lastPolicyHeader: (name: String, limit: Int, window: Int, value: String)?

    /// The 429 of a tenant or key with as many requests in batchd as it may have.
    static func refusal(_ refusal: ConcurrencyBudget.Refusal) -> APIError {
        let (scope, limit) =
            switch refusal {
            case .tenant(let limit): ("tenant", limit)
            case .key(let limit): ("key", limit)
            }
        return APIError(
            .rateLimitError, "This \(scope) already has \(limit) requests in progress, as many as it may; retry when one has finished",
            details: ["scope": .string("concurrency_\(scope)"), "limit": .integer(limit), "retry_after": 1],
            headers: [("Retry-After", "1")],
            suggestion: "Wait for an answer before sending more requests in parallel")
    }

    /// Requests with bodies at least this large are worked on in `WorkerResources.lane`.
    static let laneBodyBytes = 64 << 10

    public init(router: Router = Routes.all, resources: WorkerResources, logger: Logger) {
        self.router = router
        self.resources = resources
        self.logger = logger
        self.requestLogger = RequestLogger(logger)
    }

    public func respond(to request: HTTPRequest) -> HTTPResponse {
        let started = SystemClock.monotonicMicroseconds()
        let match = router.match(method: request.method, path: request.path)
        let context = RequestContext(
            request: request, parameters: match.parameters, resources: resources, requestLogger: requestLogger, startedAt: started)
        // The route's dialect shapes every error it answers, even one thrown before its handler runs.
        let dialect = match.route?.dialect ?? .native
        var response: HTTPResponse
        do {
            if let lane = resources.lane, request.admission != .check, request.declaredBodyLength >= Self.laneBodyBytes {
                response = try lane.run { [self] in Result { () throws(APIError) in try serve(match, context) } }.get()
            } else {
                response = try serve(match, context)
            }
        } catch {
            response = dialect.response(for: error, requestID: request.requestID)
        }
        response.setHeader("X-Request-Id", request.requestID)
        // Every authenticated answer, errors and 429s included, carries the tenant's limit.
        if let verdict = context.rateLimitVerdict {
            verdict.forEachHeader(policy: policyHeader(verdict)) { response.setHeader($0, $1) }
        }
        if request.admission == .check { response = RequestAdmission.answer(for: response) }
        let elapsed = Int(SystemClock.monotonicMicroseconds() - started)
        resources.metrics.record(status: response.status, microseconds: elapsed)
        if logger.logLevel <= .info {
            context.logger.info(
                "request",
                metadata: requestLine(request, status: response.status, microseconds: elapsed))
        }
        return response
    }

    /// The request line's fields, set in place on this worker's one dictionary (the request's
    /// own strings, not interpolated copies): a dictionary made for each line was two allocations.
    private func requestLine(_ request: HTTPRequest, status: Int, microseconds: Int) -> Logger.Metadata {
        requestLineFields["method"] = .string(request.method)
        requestLineFields["path"] = .string(request.path)
        requestLineFields["status"] = .string(String(status))
        requestLineFields["us"] = .string(String(microseconds))
        return requestLineFields
    }

    /// `verdict.policyHeader`, kept from the last answer while the policy is the same
    /// (nearly always: a worker's answers go to a few tenants under one policy each).
    private func policyHeader(_ verdict: RateLimitVerdict) -> String {
        if let kept = lastPolicyHeader, kept.name == verdict.policyName, kept.limit == verdict.limit, kept.window == verdict.windowSeconds {
            return kept.value
        }
        let value = verdict.policyHeader
        lastPolicyHeader = (verdict.policyName, verdict.limit, verdict.windowSeconds, value)
        return value
    }

    private func serve(_ match: Router.Match, _ context: RequestContext) throws(APIError) -> HTTPResponse {
        let request = context.request
        // An admission subrequest carries no body, whatever its Content-Length says.
        if request.bodyTooLarge, request.admission != .check {
            throw APIError(
                .payloadTooLarge, "Request body of \(request.declaredBodyLength) bytes exceeds the limit of \(resources.service.maxBodyBytes) bytes",
                details: ["limit_bytes": .integer(resources.service.maxBodyBytes), "content_length": .integer(request.declaredBodyLength)])
        }
        if request.bodyTruncated, request.admission != .check {
            throw APIError(
                .validationError, "Request body ended before its declared length", details: ["content_length": .integer(request.declaredBodyLength)])
        }
        switch match {
        case .notFound where request.admission == .check, .methodNotAllowed where request.admission == .check:
            // Nothing to charge: the request itself gets its 404 or 405.
            return HTTPResponse(status: 204)
        case .notFound:
            throw APIError(
                .notFound, "No route for \(request.method) \(request.path)", details: ["resource_type": "route", "path": .string(request.path)])
        case .methodNotAllowed(let allowed):
            throw APIError(
                .methodNotAllowed, "Method \(request.method) is not allowed on \(request.path)",
                details: ["allowed_methods": .array(allowed.map(JSONValue.string))], headers: [("Allow", allowed.joined(separator: ", "))])
        case .found(let route, _):
            if route.access == .open, request.admission == .check { return HTTPResponse(status: 204) }
            if route.access != .open {
                let principal = try KeyAuthenticator.authenticate(context)
                if let required = route.access.requiredRole, !principal.role.covers(required) {
                    throw APIError(
                        .forbidden, "This endpoint needs an \(required.rawValue) key", details: ["required_role": .string(required.rawValue)])
                }
                context.principal = principal
                // An admitted request was charged when nginx asked, before its body came.
                if request.admission != .admitted {
                    // A cached document's read rides along with the rate limit when that goes to
                    // Redis: one round trip (its key is made only then).
                    let (decided, prefetched) = RateLimitGate.check(
                        resources, tenant: principal.tenant, method: request.method, logger: context.logger,
                        cacheRead: resources.invalidator.hasPending
                            ? nil
                            : route.cacheKey?(context).flatMap { key in
                                resources.cacheSettingsNow().isOff(key.kind, tenantID: key.tenantID) ? nil : key
                            })
                    context.rateLimitVerdict = decided
                    if !decided.allowed { throw RateLimitGate.refusal(decided) }
                    context.prefetched = prefetched
                }
                if request.admission == .check { return HTTPResponse(status: 204, headers: [(RequestAdmission.chargedHeader, "1")]) }
                if let budget = resources.budget {
                    let slots = resources.budgetSlots(budget, tenant: principal.tenant.id, key: principal.keyID)
                    if let refusal = budget.acquire(slots) { throw Self.refusal(refusal) }
                    let response: HTTPResponse
                    do { response = try route.handler(context) } catch {
                        budget.release(slots)
                        throw error
                    }
                    // A streamed body holds its place until it is sent (the closure is made only
                    // then: its captures are a heap allocation).
                    if let stream = response.stream { stream.onFinish { budget.release(slots) } } else { budget.release(slots) }
                    return response
                }
            }
            return try route.handler(context)
        }
    }
}
