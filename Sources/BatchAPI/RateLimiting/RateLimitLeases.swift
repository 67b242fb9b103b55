public import BatchModel
import Synchronization

/// This process's rate-limit leases (`RateLimitLease`), one per tenant and policy,
/// shared by every worker thread: a read whose tenant has cells here is decided
/// without Redis; otherwise the worker takes a slice (`plan` says how many cells, and
/// which unspent cells of expired or replaced leases to give back in the same round
/// trip) and `record`s Redis's answer. Writes never use leases (they also draw on the
/// write budget, decided in Redis each time).
public final class RateLimitLeases: Sendable {
    /// What a read needs: decided here, or a take from Redis.
    public enum Plan: Equatable, Sendable {
        case spent(GCRA.Decision)
        /// Redis refused this tenant a moment ago, until a cell refills: refused here
        /// too, with what is left of that wait (so nobody waits less than Redis said).
        case refused(GCRA.Decision)
        /// Ask Redis for `cells` (the request is the first of them), giving back `refund` first.
        case take(cells: Int, refund: Int)
    }

    private struct TenantState {
        var lease: RateLimitLease?
        /// Requests decided since `countingSince`, for the next slice's size.
        var recent = 0
        var countingSince: Int64
        var lastRemaining: Int?
        /// Unspent cells of leases that ended, to give back with the next take.
        var refund = 0
        /// The budget's interval, for refunds the sweep sends.
        var intervalMilliseconds: Double
        /// Redis's last refusal: no cell before `until` (monotonic ms), and the reset it named.
        var refusal: (until: Int64, resetAt: Int64)?
    }

    private let states = Mutex([String: TenantState]())
    public let lifetimeMilliseconds: Int64

    /// `lifetimeMilliseconds` 0 turns leases off: every read takes one cell from Redis.
    public init(lifetimeMilliseconds: Int64 = 250) {
        self.lifetimeMilliseconds = lifetimeMilliseconds
    }

    /// Decides the read here when this process holds a cell for it.
    public func plan(key: String, intervalMilliseconds: Double, now: Int64) -> Plan {
        states.withLock { states in
            var state = states[key] ?? TenantState(countingSince: now, intervalMilliseconds: intervalMilliseconds)
            defer { states[key] = state }
            state.recent += 1
            if let refusal = state.refusal {
                if now < refusal.until {
                    return .refused(
                        GCRA.Decision(
                            allowed: false, newTAT: 0, remaining: 0, retryAfterMilliseconds: Double(refusal.until - now),
                            resetAfterMilliseconds: Double(max(0, refusal.resetAt - now))))
                }
                state.refusal = nil
            }
            if var lease = state.lease {
                if let decision = lease.spend(now: now) {
                    state.lease = lease
                    return .spent(decision)
                }
                state.refund += lease.unspent
                state.lease = nil
            }
            guard lifetimeMilliseconds > 0 else { return .take(cells: 1, refund: 0) }
            let elapsed = max(1, now - state.countingSince)
            // Requests a lifetime, from what was seen since counting began.
            let perLifetime = Int((Double(state.recent) * Double(lifetimeMilliseconds) / Double(elapsed)).rounded(.up))
            if elapsed > lifetimeMilliseconds * 4 {
                state.recent = 0
                state.countingSince = now
            }
            let refund = state.refund
            state.refund = 0
            return .take(cells: RateLimitLeaseSizing.cells(recentRequests: perLifetime, lastRemaining: state.lastRemaining), refund: refund)
        }
    }

    /// Records Redis's answer to a take: `taken` cells (0: refused), the first spent
    /// by the asking request; the rest become this process's lease.
    public func record(
        key: String, taken: Int, remaining: Int, retryAfterMilliseconds: Double, resetAfterMilliseconds: Double, intervalMilliseconds: Double,
        now: Int64
    ) {
        states.withLock { states in
            var state = states[key] ?? TenantState(countingSince: now, intervalMilliseconds: intervalMilliseconds)
            state.lastRemaining = remaining
            state.refusal =
                taken == 0 && retryAfterMilliseconds > 0
                ? (now + Int64(retryAfterMilliseconds.rounded(.up)), now + Int64(resetAfterMilliseconds.rounded(.up))) : nil
            if let old = state.lease { state.refund += old.unspent }
            state.lease = nil
            if taken > 1, lifetimeMilliseconds > 0 {
                var lease = RateLimitLease(
                    cells: taken, remainingAfterTake: remaining, resetAfterMilliseconds: resetAfterMilliseconds,
                    intervalMilliseconds: intervalMilliseconds, takenAt: now, lifetimeMilliseconds: lifetimeMilliseconds)
                _ = lease.spend(now: now)
                state.lease = lease
            }
            states[key] = state
        }
    }

    /// Gives back cells a take that failed (Redis did not answer) would have refunded.
    public func restoreRefund(key: String, cells: Int) {
        guard cells > 0 else { return }
        states.withLock { states in states[key]?.refund += cells }
    }

    /// Ends leases past their lifetime and forgets idle tenants: the cells to give
    /// back, by key (called every 250 ms, so an idle tenant's cells return soon).
    public func sweep(now: Int64) -> [(key: String, cells: Int, intervalMilliseconds: Double)] {
        states.withLock { states in
            var refunds: [(key: String, cells: Int, intervalMilliseconds: Double)] = []
            for (key, var state) in states {
                if let lease = state.lease, now >= lease.expiresAt {
                    state.refund += lease.unspent
                    state.lease = nil
                }
                if state.refund > 0 { refunds.append((key, state.refund, state.intervalMilliseconds)) }
                state.refund = 0
                if state.lease == nil && now - state.countingSince > lifetimeMilliseconds * 40 {
                    states[key] = nil
                } else {
                    states[key] = state
                }
            }
            return refunds
        }
    }
}
