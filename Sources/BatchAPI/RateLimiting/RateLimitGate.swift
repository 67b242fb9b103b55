public import BatchCache
import BatchCodecs
public import BatchModel
public import Logging

/// Holds every authenticated request to its tenant's rate limit: GCRA in
/// Redis (one script call), or this process's `LocalRateLimiter` while Redis
/// cannot be reached, so limits stay bounded either way.
public enum RateLimitGate {
    static let limiter = RedisRateLimiter()

    /// Requests that change something also draw on the tenant's write budget.
    static func isWrite(method: String) -> Bool { method != "GET" && method != "HEAD" }

    /// Decides the request. For a read of a cached document (`cacheRead`), the
    /// cache lookup is made in the same script call, and its reply comes back
    /// with the verdict (nil when refused, or when Redis failed).
    public static func check(
        _ resources: WorkerResources, tenant: Tenant, method: String, logger: Logger, cacheRead: StatusCacheKey? = nil
    ) -> (RateLimitVerdict, RedisReply?) {
        let write = isWrite(method: method)
        if let redis = resources.redis {
            do {
                let decided: (RateLimitVerdict, RedisReply?)
                if let key = cacheRead, !write {
                    let call = limiter.gatedReadCall(
                        tenantID: tenant.id, policy: tenant.rateLimit, key: key, lockMilliseconds: resources.statusCache.lockMilliseconds)
                    decided = try limiter.gatedRead(from: redis.evaluate([call])[0], policy: tenant.rateLimit)
                } else {
                    decided = (try limiter.check(redis, tenantID: tenant.id, policy: tenant.rateLimit, write: write), nil)
                }
                resources.fallbackLimiter.follow(decided.0, tenantID: tenant.id, policy: tenant.rateLimit)
                return decided
            } catch {
                logger.debug("rate limit falls back to this process", metadata: ["error": "\(error)"])
            }
        }
        return (resources.fallbackLimiter.check(tenantID: tenant.id, policy: tenant.rateLimit, write: write), nil)
    }

    /// The 429 of `shared/spec/README.md`: `rate_limit_error` with the limit's
    /// figures and a suggestion. The headers (`Retry-After` included) come from
    /// the verdict, added to every answer by `APIApplication`.
    public static func refusal(_ verdict: RateLimitVerdict) -> APIError {
        let wait = max(1, verdict.decision.retryAfterSeconds)
        let budget = verdict.policyName == "writes" ? "write rate limit" : "rate limit"
        return APIError(
            .rateLimitError, "Tenant \(budget) of \(verdict.limit) requests per \(verdict.windowSeconds) s exceeded; retry after \(wait) s",
            details: [
                "limit": .integer(verdict.limit), "remaining": .integer(verdict.decision.remaining),
                "reset_time": .string(Timestamp(milliseconds: Int64(verdict.nowMilliseconds + verdict.decision.resetAfterMilliseconds)).iso8601),
                "window_size": .integer(verdict.windowSeconds), "retry_after": .integer(wait), "policy": .string(verdict.policyName),
            ],
            suggestion: "Wait \(wait) seconds (the Retry-After header) before retrying, or ask an administrator to raise the tenant's limit")
    }
}
