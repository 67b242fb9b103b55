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

    /// Decides the request. For a read of a cached document (`cacheRead`, asked for
    /// only when a lookup would ride along), the cache lookup is made in the same
    /// round trip, and its key and reply come back with the verdict (nil when refused,
    /// when Redis failed, or when this process's status mirror is to be asked first). A read this
    /// process holds a leased cell for (`RateLimitLeases`) is decided here, and only
    /// its cache lookup goes to Redis; so is one Redis refused a moment ago, until the
    /// wait Redis named has passed.
    public static func check(
        _ resources: WorkerResources, tenant: Tenant, method: String, logger: @autoclosure () -> Logger,
        cacheRead: @autoclosure () -> StatusCacheKey? = nil
    ) -> (RateLimitVerdict, (key: StatusCacheKey, reply: RedisReply)?) {
        let write = isWrite(method: method)
        let policy = tenant.rateLimit
        if let redis = resources.redis {
            let interval = policy.requests.intervalMilliseconds
            var (cells, refund, slice) = (1, 0, false)
            let now = SystemClock.monotonicMilliseconds()
            let lease =
                write ? nil : resources.rateLimitLeases.map { resources.tenantLease($0, tenantID: tenant.id, policy: policy, now: now) }
            do {
                if let leases = resources.rateLimitLeases, let lease {
                    // A decision made here, on the general budget (the only one a read draws on).
                    func decidedHere(_ decision: GCRA.Decision) -> RateLimitVerdict {
                        RateLimitVerdict(
                            policyName: "default", limit: policy.limit, windowSeconds: policy.windowSeconds, decision: decision,
                            nowMilliseconds: LocalRateLimiter.unixMilliseconds())
                    }
                    switch leases.plan(lease, now: now) {
                    case .spent(let decision):
                        // With a mirror, the handler looks there first (and reads Redis on a miss).
                        guard resources.invalidator.mirror == nil, let key = cacheRead() else { return (decidedHere(decision), nil) }
                        return (decidedHere(decision), (key, try resources.statusCache.plainRead(redis, key)))
                    case .refused(let decision):
                        return (decidedHere(decision), nil)
                    case .take(let wanted, let unspent):
                        (cells, refund, slice) = (wanted, unspent, true)
                    case .single:
                        break
                    }
                }
                var calls: [RedisScriptCall] = []
                if refund > 0, let lease { calls.append(limiter.refundCall(budgetKey: lease.key, intervalMilliseconds: interval, cells: refund)) }
                var decided: (RateLimitVerdict, Int, (key: StatusCacheKey, reply: RedisReply)?)
                if !write, let key = cacheRead() {
                    calls.append(
                        limiter.gatedReadCall(
                            tenantID: tenant.id, policy: policy, key: key, lockMilliseconds: resources.statusCache.lockMilliseconds, cells: cells))
                    let (verdict, taken, reply) = try limiter.gatedRead(from: redis.evaluate(calls).last ?? .null, policy: policy)
                    decided = (verdict, taken, reply.map { (key, $0) })
                } else {
                    calls.append(limiter.call(tenantID: tenant.id, policy: policy, write: write, cells: cells))
                    let (verdict, taken) = try limiter.takenVerdict(from: redis.evaluate(calls).last ?? .null, policy: policy)
                    decided = (verdict, taken, nil)
                }
                if let leases = resources.rateLimitLeases, let lease {
                    // Only the general budget's refusal is remembered (a read draws on no other).
                    leases.record(
                        lease, slice: slice, taken: decided.1, remaining: decided.0.decision.remaining,
                        retryAfterMilliseconds: decided.0.decision.retryAfterMilliseconds,
                        resetAfterMilliseconds: decided.0.decision.resetAfterMilliseconds, now: now)
                    if decided.1 > 1 {
                        decided.0.decision = RateLimitLease.asSpent(
                            remaining: decided.0.decision.remaining, resetAfterMilliseconds: decided.0.decision.resetAfterMilliseconds,
                            unspent: decided.1 - 1, intervalMilliseconds: interval)
                    }
                }
                resources.fallbackLimiter.follow(decided.0, tenantID: tenant.id, policy: policy)
                return (decided.0, decided.2)
            } catch {
                if let lease, slice { resources.rateLimitLeases?.abandon(lease, refund: refund) }
                logger().debug("rate limit falls back to this process", metadata: ["error": "\(error)"])
            }
        }
        return (resources.fallbackLimiter.check(tenantID: tenant.id, policy: policy, write: write), nil)
    }

    /// Gives back the cells of leases that ended unspent (`CacheHousekeeping`, every 250 ms).
    public static func refundExpiredLeases(_ leases: RateLimitLeases, redis: RedisConnection, now: Int64) {
        let refunds = leases.sweep(now: now)
        guard !refunds.isEmpty else { return }
        let calls = refunds.map { limiter.refundCall(budgetKey: $0.lease.key, intervalMilliseconds: $0.lease.intervalMilliseconds, cells: $0.cells) }
        if (try? redis.evaluate(calls)) == nil {
            for refund in refunds { leases.restoreRefund(refund.lease, cells: refund.cells) }
        }
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
