import Testing

@testable import BatchModel

struct RateLimitLeaseTests {
    @Test func aLeaseSpendsItsCellsOnceAndNotAfterItsLifetime() {
        var lease = RateLimitLease(
            cells: 3, remainingAfterTake: 10, resetAfterMilliseconds: 5_000, intervalMilliseconds: 1_000, takenAt: 100, lifetimeMilliseconds: 250)
        let first = lease.spend(now: 100)
        // Two cells still held count as remaining, and not towards the reset.
        #expect(first == GCRA.Decision(allowed: true, newTAT: 0, remaining: 12, retryAfterMilliseconds: 0, resetAfterMilliseconds: 3_000))
        #expect(lease.spend(now: 150)?.remaining == 11)
        #expect(lease.spend(now: 200)?.remaining == 10)
        #expect(lease.spend(now: 200) == nil)
        #expect(lease.unspent == 0)
        var late = RateLimitLease(
            cells: 5, remainingAfterTake: 0, resetAfterMilliseconds: 0, intervalMilliseconds: 10, takenAt: 0, lifetimeMilliseconds: 250)
        #expect(late.spend(now: 250) == nil)
        #expect(late.unspent == 5)
    }

    @Test func slicesFollowTheTenantsRateAndShrinkToOneCellNearTheLimit() {
        #expect(RateLimitLeaseSizing.cells(recentRequests: 50, lastRemaining: nil) == 1)
        #expect(RateLimitLeaseSizing.cells(recentRequests: 0, lastRemaining: 1_000) == 1)
        #expect(RateLimitLeaseSizing.cells(recentRequests: 10, lastRemaining: 1_000) == 20)
        #expect(RateLimitLeaseSizing.cells(recentRequests: 10_000, lastRemaining: 1_000_000) == RateLimitLeaseSizing.maximumCells)
        #expect(RateLimitLeaseSizing.cells(recentRequests: 10_000, lastRemaining: 40) == 10)
        #expect(RateLimitLeaseSizing.cells(recentRequests: 10_000, lastRemaining: 3) == 1)
        #expect(RateLimitLeaseSizing.cells(recentRequests: 10_000, lastRemaining: 0) == 1)
    }
}
