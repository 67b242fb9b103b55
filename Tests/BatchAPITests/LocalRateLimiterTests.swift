import BatchModel
import Testing

@testable import BatchAPI

/// The in-process fallback limiter: the GCRA on its own, and its following of
/// Redis's verdicts so that falling back never hands a tenant a fresh burst.
struct LocalRateLimiterTests {
    let policy = RateLimitPolicy(limit: 100, windowSeconds: 3600, burst: 10, writeLimit: 5)
    let now = 1_000_000_000.0

    /// What Redis would answer for the `count`th request in a row at `now`.
    func redisVerdicts(_ count: Int, budget: GCRA, name: String) -> [RateLimitVerdict] {
        var tat: Double?
        return (0..<count).map { _ in
            let decision = budget.decide(tat: tat, now: now)
            if decision.allowed { tat = decision.newTAT }
            return RateLimitVerdict(
                policyName: name, limit: budget.limit, windowSeconds: budget.windowSeconds, decision: decision, nowMilliseconds: now)
        }
    }

    func allowedInARow(_ limiter: LocalRateLimiter, write: Bool = false) -> Int {
        (0..<50).filter { _ in limiter.check(tenantID: "t", policy: policy, write: write, now: now).allowed }.count
    }

    @Test func aFreshLimiterGivesTheBurst() {
        #expect(allowedInARow(LocalRateLimiter()) == 10)
        #expect(allowedInARow(LocalRateLimiter(), write: true) == 5)
    }

    @Test func fallingBackStartsWhereRedisLeftOff() {
        let limiter = LocalRateLimiter()
        for verdict in redisVerdicts(7, budget: policy.requests, name: "default") {
            limiter.follow(verdict, tenantID: "t", policy: policy, now: now)
        }
        #expect(allowedInARow(limiter) == 3)
        // Another tenant's budget is its own.
        #expect((0..<50).filter { _ in limiter.check(tenantID: "u", policy: policy, write: false, now: now).allowed }.count == 10)
    }

    @Test func aRefusalFromRedisLeavesNothingHere() {
        let limiter = LocalRateLimiter()
        let verdicts = redisVerdicts(12, budget: policy.requests, name: "default")
        #expect(verdicts.last?.allowed == false)
        limiter.follow(verdicts[11], tenantID: "t", policy: policy, now: now)
        #expect(allowedInARow(limiter) == 0)
    }

    @Test func followingNeverMovesBackwards() {
        let limiter = LocalRateLimiter()
        let verdicts = redisVerdicts(10, budget: policy.requests, name: "default")
        limiter.follow(verdicts[9], tenantID: "t", policy: policy, now: now)
        limiter.follow(verdicts[0], tenantID: "t", policy: policy, now: now)
        #expect(allowedInARow(limiter) == 0)
    }

    @Test func aWriteVerdictMovesOnlyTheWriteBudget() throws {
        let limiter = LocalRateLimiter()
        let writes = try #require(policy.writes)
        limiter.follow(redisVerdicts(5, budget: writes, name: "writes")[4], tenantID: "t", policy: policy, now: now)
        #expect(allowedInARow(limiter, write: true) == 0)
        #expect(allowedInARow(limiter) == 10)
    }

    @Test func aChangedPolicyStartsAfresh() {
        let limiter = LocalRateLimiter()
        limiter.follow(redisVerdicts(10, budget: policy.requests, name: "default")[9], tenantID: "t", policy: policy, now: now)
        let raised = RateLimitPolicy(limit: 200, windowSeconds: 3600, burst: 10, writeLimit: 5)
        #expect((0..<50).filter { _ in limiter.check(tenantID: "t", policy: raised, write: false, now: now).allowed }.count == 10)
    }
}
