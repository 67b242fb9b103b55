/// What the limiter decided for one request, and everything the answer's
/// headers and 429 body say about it.
public struct RateLimitVerdict: Sendable, Equatable {
    /// Which budget the figures describe: "default", or "writes" when the write
    /// budget is the tighter one.
    public var policyName: String
    public var limit: Int
    public var windowSeconds: Int
    public var decision: GCRA.Decision
    /// Unix milliseconds of the decision (Redis's clock, or this machine's in fallback).
    public var nowMilliseconds: Double

    public init(policyName: String, limit: Int, windowSeconds: Int, decision: GCRA.Decision, nowMilliseconds: Double) {
        self.policyName = policyName
        self.limit = limit
        self.windowSeconds = windowSeconds
        self.decision = decision
        self.nowMilliseconds = nowMilliseconds
    }

    public var allowed: Bool { decision.allowed }

    /// Unix seconds when the full burst is available again (`X-RateLimit-Reset`).
    public var resetUnixSeconds: Int { Int(((nowMilliseconds + decision.resetAfterMilliseconds) / 1000).rounded(.up)) }

    /// `X-RateLimit-*`, IETF `RateLimit-Policy` / `RateLimit`, and on a refusal `Retry-After`.
    public var headers: [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = []
        headers.reserveCapacity(6)
        forEachHeader { headers.append(($0, $1)) }
        return headers
    }

    /// `RateLimit-Policy`'s value: the same for every answer under one policy.
    public var policyHeader: String { "\"\(policyName)\";q=\(limit);w=\(windowSeconds)" }

    /// The same headers one by one, with no list made: every answer carries them.
    /// `policy` is `policyHeader` made earlier, if the caller keeps it.
    public func forEachHeader(policy: String? = nil, _ body: (_ name: String, _ value: String) -> Void) {
        body("X-RateLimit-Limit", String(limit))
        body("X-RateLimit-Remaining", String(decision.remaining))
        body("X-RateLimit-Reset", String(resetUnixSeconds))
        body("RateLimit-Policy", policy ?? policyHeader)
        body("RateLimit", "\"\(policyName)\";r=\(decision.remaining);t=\(decision.resetAfterSeconds)")
        if !allowed { body("Retry-After", String(max(1, decision.retryAfterSeconds))) }
    }

    /// Combines the general and the write decision of one request: refused if
    /// either refuses; the figures shown are those of the tighter budget.
    public static func combine(_ general: RateLimitVerdict, _ writes: RateLimitVerdict?) -> RateLimitVerdict {
        guard let writes else { return general }
        if !writes.allowed && general.allowed { return writes }
        if !general.allowed && writes.allowed { return general }
        if !general.allowed && !writes.allowed {
            return writes.decision.retryAfterMilliseconds > general.decision.retryAfterMilliseconds ? writes : general
        }
        return writes.decision.remaining < general.decision.remaining ? writes : general
    }
}
