import Testing

@testable import BatchModel

struct RateLimitLeaseTests {
    @Test func cellsStillHeldCountAsRemainingAndNotTowardsTheReset() {
        let decision = RateLimitLease.asSpent(remaining: 10, resetAfterMilliseconds: 5_000, unspent: 2, intervalMilliseconds: 1_000)
        #expect(decision == GCRA.Decision(allowed: true, newTAT: 0, remaining: 12, retryAfterMilliseconds: 0, resetAfterMilliseconds: 3_000))
        #expect(
            RateLimitLease.asSpent(remaining: 0, resetAfterMilliseconds: 100, unspent: 5, intervalMilliseconds: 1_000).resetAfterMilliseconds == 0)
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
