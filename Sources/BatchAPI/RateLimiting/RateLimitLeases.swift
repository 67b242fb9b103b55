public import BatchModel
import Synchronization

/// This process's rate-limit leases (`RateLimitLease`'s rules), one per tenant and
/// policy, shared by every worker thread: a read whose tenant has cells here is
/// decided without Redis; otherwise the worker takes a slice (`plan` says how many
/// cells, and which unspent cells of ended leases to give back in the same round
/// trip) and `record`s Redis's answer. Writes never use leases (they also draw on the
/// write budget, decided in Redis each time).
///
/// A tenant's state is a `TenantLease` of atomics: workers keep the objects of the
/// tenants they serve (`WorkerResources.tenantLease`), so spending a cell is an
/// atomic subtraction — a lock here was the most contended one at 64 connections.
/// A process takes one slice of a tenant's budget at a time (`beginSlice`): the read
/// that finds the lease below half a slice takes the next while the others spend what
/// is left, and a worker that finds none while a take is in flight asks Redis for its
/// own cell (`.single`). The figures in the headers come from the latest take.
public final class RateLimitLeases: Sendable {
    /// What a read needs: decided here, or a take from Redis.
    public enum Plan: Equatable, Sendable {
        case spent(GCRA.Decision)
        /// Redis refused this tenant a moment ago, until a cell refills: refused here
        /// too, with what is left of that wait (so nobody waits less than Redis said).
        case refused(GCRA.Decision)
        /// Ask Redis for `cells` (the request is the first of them), giving back `refund`
        /// first. This worker is the process's one taker of the tenant's next slice until
        /// it `record`s the answer or `abandon`s the take.
        case take(cells: Int, refund: Int)
        /// Ask Redis for this request's cell only, as without leases: leases are off, or
        /// another worker is taking the tenant's next slice (one slice at a time, so a
        /// process never holds more than one — all a dying one can lose).
        case single
    }

    /// One tenant's lease under one policy.
    public final class TenantLease: Sendable {
        let key: String
        let intervalMilliseconds: Double
        /// Cells held here and not yet spent.
        let available = Atomic<Int>(0)
        /// Below this many cells, a read takes the next slice (half the last slice's size).
        let refillBelow = Atomic<Int>(0)
        let remainingAfterTake = Atomic<Int>(0)
        let resetAfterTake = Atomic<Int64>(0)
        let takenAt = Atomic<Int64>(0)
        let expiresAt = Atomic<Int64>(0)
        /// Requests decided since `countingSince`, for the next slice's size.
        let recent = Atomic<Int>(0)
        let countingSince: Atomic<Int64>
        /// Redis's `remaining` in its last answer (-1: none yet).
        let lastRemaining = Atomic<Int>(-1)
        /// Redis's last refusal: no cell before this (monotonic ms), and its reset.
        let refusedUntil = Atomic<Int64>(0)
        let refusalResetAt = Atomic<Int64>(0)
        /// Unspent cells of ended leases, to give back with the next take.
        let refund = Atomic<Int>(0)
        /// When the take in flight began (monotonic ms; 0: none). A take older than
        /// `staleTakeMilliseconds` no longer blocks the next (its worker lost the answer).
        let takingSince = Atomic<Int64>(0)

        init(key: String, intervalMilliseconds: Double, now: Int64) {
            self.key = key
            self.intervalMilliseconds = intervalMilliseconds
            self.countingSince = Atomic(now)
        }

        /// Moves the cells of a lease past its lifetime to `refund`.
        func endIfExpired(now: Int64) {
            guard now >= expiresAt.load(ordering: .acquiring) else { return }
            let unspent = available.exchange(0, ordering: .acquiringAndReleasing)
            if unspent > 0 { refund.wrappingAdd(unspent, ordering: .relaxed) }
        }
    }

    static let staleTakeMilliseconds: Int64 = 1000

    private let tenants = Mutex([String: TenantLease]())
    public let lifetimeMilliseconds: Int64

    /// `lifetimeMilliseconds` 0 turns leases off: every read takes one cell from Redis.
    public init(lifetimeMilliseconds: Int64 = 250) {
        self.lifetimeMilliseconds = lifetimeMilliseconds
    }

    /// The state of the budget at `key` (one lock: workers keep what this returns).
    public func tenant(key: String, intervalMilliseconds: Double, now: Int64) -> TenantLease {
        tenants.withLock { tenants in
            if let found = tenants[key] { return found }
            let made = TenantLease(key: key, intervalMilliseconds: intervalMilliseconds, now: now)
            tenants[key] = made
            return made
        }
    }

    /// Decides the read here when this process holds a cell for it (or Redis refused
    /// the tenant a moment ago); otherwise says what to ask Redis. A read that finds
    /// the lease below half its last slice takes the next one (its own cell first) while
    /// the other workers spend what is left: a busy tenant's lease is refilled before it
    /// runs dry, so they seldom have to ask Redis one cell at a time.
    public func plan(_ lease: TenantLease, now: Int64) -> Plan {
        lease.recent.wrappingAdd(1, ordering: .relaxed)
        // Cells held here first: a refusal another worker met does not strand them.
        if now < lease.expiresAt.load(ordering: .acquiring) {
            let left = lease.available.wrappingSubtract(1, ordering: .acquiringAndReleasing).newValue
            if left >= 0 {
                if left < lease.refillBelow.load(ordering: .relaxed), let refill = beginSlice(lease, now: now, holding: left) {
                    lease.available.wrappingAdd(1, ordering: .acquiringAndReleasing)
                    return refill
                }
                let elapsed = now - lease.takenAt.load(ordering: .relaxed)
                return .spent(
                    RateLimitLease.asSpent(
                        remaining: lease.remainingAfterTake.load(ordering: .relaxed),
                        resetAfterMilliseconds: Double(lease.resetAfterTake.load(ordering: .relaxed) - elapsed), unspent: left,
                        intervalMilliseconds: lease.intervalMilliseconds))
            }
            lease.available.wrappingAdd(1, ordering: .acquiringAndReleasing)
        } else {
            lease.endIfExpired(now: now)
        }
        let refusedUntil = lease.refusedUntil.load(ordering: .acquiring)
        if now < refusedUntil {
            return .refused(
                GCRA.Decision(
                    allowed: false, newTAT: 0, remaining: 0, retryAfterMilliseconds: Double(refusedUntil - now),
                    resetAfterMilliseconds: Double(max(0, lease.refusalResetAt.load(ordering: .relaxed) - now))))
        }
        return beginSlice(lease, now: now, holding: 0) ?? .single
    }

    /// Makes this worker the one taking the tenant's next slice, sized so the process
    /// then holds at most one slice (`holding` cells are still here); nil when another
    /// worker is taking one (or leases are off).
    private func beginSlice(_ lease: TenantLease, now: Int64, holding: Int) -> Plan? {
        guard lifetimeMilliseconds > 0 else { return nil }
        let taking = lease.takingSince.load(ordering: .acquiring)
        if taking != 0 && now - taking < Self.staleTakeMilliseconds { return nil }
        guard lease.takingSince.compareExchange(expected: taking, desired: max(1, now), ordering: .acquiringAndReleasing).exchanged
        else { return nil }
        let since = lease.countingSince.load(ordering: .relaxed)
        let elapsed = max(1, now - since)
        let recent = lease.recent.load(ordering: .relaxed)
        // Requests a lifetime, from what was seen since counting began.
        let perLifetime = Int((Double(recent) * Double(lifetimeMilliseconds) / Double(elapsed)).rounded(.up))
        if elapsed > lifetimeMilliseconds * 4 {
            lease.recent.store(0, ordering: .relaxed)
            lease.countingSince.store(now, ordering: .relaxed)
        }
        let last = lease.lastRemaining.load(ordering: .relaxed)
        let refund = lease.refund.exchange(0, ordering: .acquiringAndReleasing)
        let size = RateLimitLeaseSizing.cells(recentRequests: perLifetime, lastRemaining: last < 0 ? nil : last)
        lease.refillBelow.store(size / 2, ordering: .relaxed)
        return .take(cells: max(1, size - holding), refund: refund)
    }

    /// Records Redis's answer to a `.take` (`slice`) or a `.single`: `taken` cells (0:
    /// refused), the first spent by the asking request; the rest are added to this
    /// process's lease, and the next slice may be taken.
    public func record(
        _ lease: TenantLease, slice: Bool, taken: Int, remaining: Int, retryAfterMilliseconds: Double, resetAfterMilliseconds: Double,
        now: Int64
    ) {
        defer { if slice { lease.takingSince.store(0, ordering: .releasing) } }
        lease.lastRemaining.store(remaining, ordering: .relaxed)
        if taken == 0 && retryAfterMilliseconds > 0 {
            lease.refusalResetAt.store(now + Int64(resetAfterMilliseconds.rounded(.up)), ordering: .relaxed)
            lease.refusedUntil.store(now + Int64(retryAfterMilliseconds.rounded(.up)), ordering: .releasing)
        }
        guard taken > 1, lifetimeMilliseconds > 0 else { return }
        lease.remainingAfterTake.store(remaining, ordering: .relaxed)
        lease.resetAfterTake.store(Int64(resetAfterMilliseconds.rounded()), ordering: .relaxed)
        lease.takenAt.store(now, ordering: .relaxed)
        lease.expiresAt.store(now + lifetimeMilliseconds, ordering: .releasing)
        lease.available.wrappingAdd(taken - 1, ordering: .acquiringAndReleasing)
    }

    /// Gives back cells a take that failed (Redis did not answer) would have refunded.
    public func restoreRefund(_ lease: TenantLease, cells: Int) {
        if cells > 0 { lease.refund.wrappingAdd(cells, ordering: .relaxed) }
    }

    /// Ends a `.take` Redis did not answer: its refund is kept for the next, which may begin.
    public func abandon(_ lease: TenantLease, refund: Int) {
        restoreRefund(lease, cells: refund)
        lease.takingSince.store(0, ordering: .releasing)
    }

    /// Ends leases past their lifetime: the cells to give back, by key (called every
    /// 250 ms, so an idle tenant's cells return soon).
    public func sweep(now: Int64) -> [(lease: TenantLease, cells: Int)] {
        let all = tenants.withLock { Array($0.values) }
        var refunds: [(lease: TenantLease, cells: Int)] = []
        for lease in all {
            lease.endIfExpired(now: now)
            let cells = lease.refund.exchange(0, ordering: .acquiringAndReleasing)
            if cells > 0 { refunds.append((lease, cells)) }
        }
        return refunds
    }
}
