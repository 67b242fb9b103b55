public import BatchModel
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The in-process stand-in for `RedisRateLimiter` while Redis cannot be
/// reached: the same GCRA per tenant, on this machine's clock, shared by the
/// process's workers. Each process then holds each tenant to the full limit on
/// its own, so the bound is limit × processes: looser, but bounded, and nginx's
/// per-address limit stays in front.
public final class LocalRateLimiter: Sendable {
    private struct Cells {
        var general: [String: Double] = [:]
        var writes: [String: Double] = [:]
        var decisions = 0
    }

    private let cells = Mutex(Cells())

    public init() {}

    public func check(tenantID: String, policy: RateLimitPolicy, write: Bool, now: Double = LocalRateLimiter.unixMilliseconds()) -> RateLimitVerdict {
        // As in Redis, the policy is part of the key: a changed limit starts afresh.
        let tenantID = "\(tenantID):\(policy.limit)/\(policy.windowSeconds)/\(policy.burst)/\(policy.writeLimit ?? 0)"
        return cells.withLock { cells in
            let general = policy.requests.decide(tat: cells.general[tenantID], now: now)
            let writes = write ? policy.writes.map { $0.decide(tat: cells.writes[tenantID], now: now) } : nil
            if general.allowed && (writes?.allowed ?? true) {
                cells.general[tenantID] = general.newTAT
                if let writes { cells.writes[tenantID] = writes.newTAT }
            }
            cells.decisions += 1
            // Cells whose TAT has passed hold no information: drop them now and then.
            if cells.decisions % 10_000 == 0 {
                cells.general = cells.general.filter { $0.value > now }
                cells.writes = cells.writes.filter { $0.value > now }
            }
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
