import Testing

@testable import BatchModel

@Suite struct GCRATests {
    let gcra = GCRA(limit: 100, windowSeconds: 100, burst: 10)  // one a second, ten at once

    @Test func aFullBurstPassesThenOneAnInterval() {
        var tat: Double?
        let now = 1_000_000.0
        for expected in (0..<10).reversed() {
            let decision = gcra.decide(tat: tat, now: now)
            #expect(decision.allowed)
            #expect(decision.remaining == expected)
            tat = decision.newTAT
        }
        let refused = gcra.decide(tat: tat, now: now)
        #expect(!refused.allowed)
        #expect(refused.remaining == 0)
        #expect(refused.retryAfterMilliseconds == 1000)
        #expect(refused.retryAfterSeconds == 1)
        // A refusal consumes nothing: the stored TAT is unchanged.
        #expect(refused.newTAT == tat)
        // Waiting exactly the advertised time is enough.
        #expect(gcra.decide(tat: tat, now: now + 1000).allowed)
        #expect(!gcra.decide(tat: tat, now: now + 999).allowed)
    }

    @Test func retryAfterRoundsUp() {
        let slow = GCRA(limit: 3, windowSeconds: 10, burst: 1)  // one every 3.333 s
        let first = slow.decide(tat: nil, now: 0)
        let second = slow.decide(tat: first.newTAT, now: 100)
        #expect(!second.allowed)
        #expect(abs(second.retryAfterMilliseconds - 3233.333) < 0.01)
        #expect(second.retryAfterSeconds == 4)
        #expect(slow.decide(tat: first.newTAT, now: 100 + Double(second.retryAfterSeconds) * 1000).allowed)
    }

    @Test func anIdleTenantRefillsToTheBurstAndNoFurther() {
        let decision = gcra.decide(tat: 500, now: 1_000_000)
        #expect(decision.allowed)
        #expect(decision.remaining == 9)
        #expect(decision.resetAfterMilliseconds == 1000)
    }

    @Test func burstIsClampedToTheLimit() {
        #expect(GCRA(limit: 5, windowSeconds: 60, burst: 50).burst == 5)
        #expect(GCRA(limit: 0, windowSeconds: 0, burst: 0).burst == 1)
    }

    @Test func writesUseTheirOwnBudget() {
        let policy = RateLimitPolicy(limit: 1000, windowSeconds: 3600, burst: 100, writeLimit: 10)
        #expect(policy.writes == GCRA(limit: 10, windowSeconds: 3600, burst: 10))
        #expect(RateLimitPolicy.default.writes == nil)
    }

    @Test func verdictHeadersFollowTheDraft() {
        let decision = GCRA(limit: 1000, windowSeconds: 3600, burst: 100).decide(tat: nil, now: 1_700_000_000_000)
        let verdict = RateLimitVerdict(
            policyName: "default", limit: 1000, windowSeconds: 3600, decision: decision, nowMilliseconds: 1_700_000_000_000)
        let headers = Dictionary(uniqueKeysWithValues: verdict.headers.map { ($0.name, $0.value) })
        #expect(headers["X-RateLimit-Limit"] == "1000")
        #expect(headers["X-RateLimit-Remaining"] == "99")
        #expect(headers["X-RateLimit-Reset"] == "1700000004")
        #expect(headers["RateLimit-Policy"] == "\"default\";q=1000;w=3600")
        #expect(headers["RateLimit"] == "\"default\";r=99;t=4")
        #expect(headers["Retry-After"] == nil)
    }

    @Test func combiningShowsTheTighterBudget() {
        func verdict(_ name: String, allowed: Bool, remaining: Int, retry: Double) -> RateLimitVerdict {
            RateLimitVerdict(
                policyName: name, limit: 10, windowSeconds: 60,
                decision: .init(allowed: allowed, newTAT: 0, remaining: remaining, retryAfterMilliseconds: retry, resetAfterMilliseconds: 0),
                nowMilliseconds: 0)
        }
        #expect(
            RateLimitVerdict.combine(
                verdict("default", allowed: true, remaining: 50, retry: 0), verdict("writes", allowed: true, remaining: 3, retry: 0)
            ).policyName == "writes")
        #expect(
            RateLimitVerdict.combine(
                verdict("default", allowed: true, remaining: 50, retry: 0), verdict("writes", allowed: false, remaining: 0, retry: 500)
            ).policyName == "writes")
        #expect(
            RateLimitVerdict.combine(
                verdict("default", allowed: false, remaining: 0, retry: 900), verdict("writes", allowed: true, remaining: 3, retry: 0)
            ).policyName == "default")
        #expect(
            RateLimitVerdict.combine(
                verdict("default", allowed: false, remaining: 0, retry: 900), verdict("writes", allowed: false, remaining: 0, retry: 500)
            ).policyName == "default")
        #expect(RateLimitVerdict.combine(verdict("default", allowed: true, remaining: 5, retry: 0), nil).policyName == "default")
    }
}
