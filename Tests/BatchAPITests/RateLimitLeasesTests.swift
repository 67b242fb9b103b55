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
        guard case .take(let cells, 0) = leases.plan(tenant, now: 21), cells > 1 else {
            Issue.record("no larger take")
            return
        }
        leases.record(tenant, slice: true, taken: 8, remaining: 70, retryAfterMilliseconds: 0, resetAfterMilliseconds: 300, now: 21)
        var remainings: [Int] = []
        for now in Int64(22)..<29 {
            guard case .spent(let decision) = leases.plan(tenant, now: now) else {
                Issue.record("cell \(now) not spent locally")
                return
            }
            #expect(decision.allowed)
            remainings.append(decision.remaining)
        }
        // The headers count down as they would with one cell a request.
        #expect(remainings == [76, 75, 74, 73, 72, 71, 70])
        // Used up: the next read takes again.
        guard case .take = leases.plan(tenant, now: 29) else {
            Issue.record("no take after the lease")
            return
        }
        leases.record(tenant, slice: true, taken: 4, remaining: 60, retryAfterMilliseconds: 0, resetAfterMilliseconds: 300, now: 29)
        // Three cells left unspent when the lease ends: the sweep gives them back.
        #expect(leases.sweep(now: 100).isEmpty)
        let refunds = leases.sweep(now: 29 + 250)
        #expect(refunds.count == 1 && refunds.first?.cells == 3 && refunds.first?.lease === tenant)
        #expect(leases.sweep(now: 29 + 260).isEmpty)
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
        // The slice's answer: its cells are spent here, and once gone the next slice may be taken.
        leases.record(tenant, slice: true, taken: 3, remaining: 900, retryAfterMilliseconds: 0, resetAfterMilliseconds: 10, now: 52)
        #expect(leases.plan(tenant, now: 53) != .single && leases.plan(tenant, now: 54) != .single)
        guard case .take = leases.plan(tenant, now: 55) else {
            Issue.record("no next slice")
            return
        }
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
