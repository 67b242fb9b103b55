import BatchModel
import Testing

@testable import BatchAPI

struct RateLimitLeasesTests {
    @Test func readsSpendTheLeaseThenTakeAgainAndEndedLeasesAreRefunded() {
        let leases = RateLimitLeases(lifetimeMilliseconds: 250)
        let tenant = leases.tenant(key: "t", intervalMilliseconds: 10, now: 0)
        #expect(leases.tenant(key: "t", intervalMilliseconds: 10, now: 5) === tenant)
        // No history: one cell.
        #expect(leases.plan(tenant, now: 0) == .take(cells: 1, refund: 0))
        leases.record(tenant, slice: true, taken: 1, remaining: 99, retryAfterMilliseconds: 0, resetAfterMilliseconds: 10, now: 0)
        // A busy tenant: the next take asks for more; Redis grants 8, the asking request spends one.
        for now in stride(from: Int64(1), through: 20, by: 1) {
            // (Redis grants one cell each time: nothing is held.)
            guard case .take = leases.plan(tenant, now: now) else {
                Issue.record("no take at \(now)")
                return
            }
            leases.record(tenant, slice: true, taken: 1, remaining: 99, retryAfterMilliseconds: 0, resetAfterMilliseconds: 10, now: now)
        }
        // Redis said 99 were left: a slice is at most a quarter of that.
        #expect(leases.plan(tenant, now: 21) == .take(cells: 24, refund: 0))
        leases.record(tenant, slice: true, taken: 24, remaining: 70, retryAfterMilliseconds: 0, resetAfterMilliseconds: 300, now: 21)
        // 23 cells held: spent here down to half a slice.
        var remainings: [Int] = []
        for now in Int64(22)..<33 {
            guard case .spent(let decision) = leases.plan(tenant, now: now) else {
                Issue.record("cell \(now) not spent locally")
                return
            }
            #expect(decision.allowed)
            remainings.append(decision.remaining)
        }
        // The headers count down as they would with one cell a request.
        #expect(remainings == Array((82...92).reversed()))
        // Below half: this read takes the next slice (a quarter of 70, less the 11 others
        // may still spend), while another read spends what is left meanwhile.
        #expect(leases.plan(tenant, now: 33) == .take(cells: 6, refund: 0))
        guard case .spent(let meanwhile) = leases.plan(tenant, now: 34) else {
            Issue.record("a read waited for the refill")
            return
        }
        #expect(meanwhile.remaining == 81)
        leases.record(tenant, slice: true, taken: 6, remaining: 64, retryAfterMilliseconds: 0, resetAfterMilliseconds: 300, now: 35)
        guard case .spent(let after) = leases.plan(tenant, now: 36) else {
            Issue.record("the refill was not spent here")
            return
        }
        // 11 left + 5 taken = 16 held (never more than a slice, 17), 15 after this read.
        #expect(after.remaining == 64 + 15)
        // Cells left unspent when the lease ends: the sweep gives them back.
        #expect(leases.sweep(now: 100).isEmpty)
        let refunds = leases.sweep(now: 35 + 250)
        #expect(refunds.count == 1 && refunds.first?.cells == 15 && refunds.first?.lease === tenant)
        #expect(leases.sweep(now: 35 + 260).isEmpty)
        // A refund that could not be sent goes with the next take.
        leases.restoreRefund(tenant, cells: 3)
        guard case .take(_, 3) = leases.plan(tenant, now: 400) else {
            Issue.record("the refund did not ride with the take")
            return
        }
    }

    @Test func aRefusalIsRememberedUntilTheWaitRedisNamed() {
        let leases = RateLimitLeases(lifetimeMilliseconds: 250)
        let tenant = leases.tenant(key: "t", intervalMilliseconds: 1_000, now: 0)
        _ = leases.plan(tenant, now: 0)
        leases.record(tenant, slice: true, taken: 0, remaining: 0, retryAfterMilliseconds: 800, resetAfterMilliseconds: 5_000, now: 0)
        guard case .refused(let decision) = leases.plan(tenant, now: 300) else {
            Issue.record("not refused locally")
            return
        }
        #expect(!decision.allowed && decision.retryAfterMilliseconds == 500 && decision.resetAfterMilliseconds == 4_700)
        // Once the wait has passed, Redis decides again.
        guard case .take = leases.plan(tenant, now: 800) else {
            Issue.record("still refused after the wait")
            return
        }
    }

    @Test func offMeansEveryReadGoesToRedis() {
        let leases = RateLimitLeases(lifetimeMilliseconds: 0)
        let tenant = leases.tenant(key: "t", intervalMilliseconds: 1, now: 0)
        for now in Int64(0)..<50 {
            #expect(leases.plan(tenant, now: now) == .single)
            leases.record(tenant, slice: false, taken: 1, remaining: 1_000, retryAfterMilliseconds: 0, resetAfterMilliseconds: 1, now: now)
        }
    }

    /// Workers that find no cell while another takes the tenant's next slice ask for
    /// their own cell only: a process holds one slice at a time (all a dying one can lose).
    @Test func oneSliceIsTakenAtATime() {
        let leases = RateLimitLeases(lifetimeMilliseconds: 250)
        let tenant = leases.tenant(key: "t", intervalMilliseconds: 10, now: 0)
        #expect(leases.plan(tenant, now: 0) == .take(cells: 1, refund: 0))
        leases.record(tenant, slice: true, taken: 1, remaining: 1_000, retryAfterMilliseconds: 0, resetAfterMilliseconds: 10, now: 0)
        for now in Int64(1)...40 where leases.plan(tenant, now: now) != .single {
            leases.record(tenant, slice: true, taken: 1, remaining: 1_000, retryAfterMilliseconds: 0, resetAfterMilliseconds: 10, now: now)
        }
        guard case .take(let cells, _) = leases.plan(tenant, now: 41), cells > 1 else {
            Issue.record("no slice")
            return
        }
        // Eight workers at once while that take is in flight: one cell each, from Redis.
        for now in Int64(42)..<50 { #expect(leases.plan(tenant, now: now) == .single) }
        leases.record(tenant, slice: false, taken: 1, remaining: 900, retryAfterMilliseconds: 0, resetAfterMilliseconds: 10, now: 50)
        #expect(leases.plan(tenant, now: 51) == .single)
        // The slice's answer (3 cells): below half a slice, one read takes the next (the
        // most it may: a quarter of the 900 left, less the one still held), the others spend what is left, then
        // ask for their own cell while that take is in flight.
        leases.record(tenant, slice: true, taken: 3, remaining: 900, retryAfterMilliseconds: 0, resetAfterMilliseconds: 10, now: 52)
        #expect(leases.plan(tenant, now: 53) == .take(cells: 900 / 4 - 1, refund: 0))
        #expect(leases.plan(tenant, now: 54) != .single && leases.plan(tenant, now: 55) != .single)
        #expect(leases.plan(tenant, now: 56) == .single)
        // A take Redis did not answer frees the way (its refund kept for the next).
        leases.abandon(tenant, refund: 2)
        guard case .take(_, 2) = leases.plan(tenant, now: 56) else {
            Issue.record("abandoned take still blocks")
            return
        }
        // A worker that never answers blocks the next slice for a second at most.
        #expect(leases.plan(tenant, now: 56 + 999) == .single)
        guard case .take = leases.plan(tenant, now: 56 + RateLimitLeases.staleTakeMilliseconds) else {
            Issue.record("a lost take blocks forever")
            return
        }
    }
}
