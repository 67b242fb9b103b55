public import BatchModel
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The in-process stand-in for `RedisRateLimiter` while Redis cannot be
/// reached: the same GCRA per tenant, on this machine's clock, shared by the
/// process's workers. Each process then holds each tenant to the full limit on
/// its own, so the bound is limit × processes: looser, but bounded, and nginx's
/// per-address limit stays in front. While Redis answers, every verdict it gives
/// is followed here (`follow`), so a fallback (one timed-out call, or an outage)
/// starts from the tenant's usage as Redis last saw it, not from a full burst.
public final class LocalRateLimiter: Sendable {
    private struct Cells {
        var general: [String: Double] = [:]
        var writes: [String: Double] = [:]
        var decisions = 0

        /// Cells whose TAT has passed hold no information: dropped now and then.
        mutating func countDecision(now: Double) {
            decisions += 1
            if decisions % 10_000 == 0 {
                general = general.filter { $0.value > now }
                writes = writes.filter { $0.value > now }
            }
        }
    }

    private let cells = Mutex(Cells())

    public init() {}

    /// As in Redis, the policy is part of the key: a changed limit starts afresh.
    static func cellKey(tenantID: String, policy: RateLimitPolicy) -> String {
        "\(tenantID):\(policy.limit)/\(policy.windowSeconds)/\(policy.burst)/\(policy.writeLimit ?? 0)"
    }

    /// Moves the tenant's cell to the TAT behind a verdict Redis gave at this
    /// machine's `now` (its reset time), never backwards: the budget named by
    /// the verdict is then as used here as it is in Redis.
    public func follow(_ verdict: RateLimitVerdict, tenantID: String, policy: RateLimitPolicy, now: Double = LocalRateLimiter.unixMilliseconds()) {
        let key = Self.cellKey(tenantID: tenantID, policy: policy)
        let tat = now + verdict.decision.resetAfterMilliseconds
        cells.withLock { cells in
            if verdict.policyName == "writes" {
                cells.writes[key] = max(cells.writes[key] ?? tat, tat)
            } else {
                cells.general[key] = max(cells.general[key] ?? tat, tat)
            }
            cells.countDecision(now: now)
        }
    }

    public func check(tenantID: String, policy: RateLimitPolicy, write: Bool, now: Double = LocalRateLimiter.unixMilliseconds()) -> RateLimitVerdict {
        let tenantID = Self.cellKey(tenantID: tenantID, policy: policy)
        return cells.withLock { cells in
            let general = policy.requests.decide(tat: cells.general[tenantID], now: now)
            let writes = write ? policy.writes.map { $0.decide(tat: cells.writes[tenantID], now: now) } : nil
            if general.allowed && (writes?.allowed ?? true) {
                cells.general[tenantID] = general.newTAT
                if let writes { cells.writes[tenantID] = writes.newTAT }
            }
            cells.countDecision(now: now)
            let generalVerdict = RateLimitVerdict(
                policyName: "default", limit: policy.limit, windowSeconds: policy.windowSeconds, decision: general, nowMilliseconds: now)
            let writeVerdict = writes.map {
                RateLimitVerdict(
                    policyName: "writes", limit: policy.writeLimit ?? policy.limit, windowSeconds: policy.windowSeconds, decision: $0,
                    nowMilliseconds: now)
            }
            return RateLimitVerdict.combine(generalVerdict, writeVerdict)
        }
    }

    /// Wall time in milliseconds, as the Redis limiter's script reads it, so the
    /// two limiters' arithmetic agrees.
    public static func unixMilliseconds() -> Double { Double(SystemClock.wallMicroseconds()) / 1000 }
}
