import Testing
@testable import BatchModel

@Suite struct TenancyAndTimeTests {
    @Test func defaultPolicyIsTheDocumentedOne() {
        #expect(RateLimitPolicy.default.limit == 1000)
        #expect(RateLimitPolicy.default.windowSeconds == 3600)
        #expect(RateLimitPolicy.default.burst == 100)
        #expect(RateLimitPolicy.default.problem == nil)
        #expect(RateLimitPolicy.default.policyHeader == #""default";q=1000;w=3600"#)
    }

    @Test func invalidPoliciesSayWhy() {
        #expect(RateLimitPolicy(limit: 0, windowSeconds: 60, burst: 1, writeLimit: nil).problem != nil)
        #expect(RateLimitPolicy(limit: 10, windowSeconds: 0, burst: 1, writeLimit: nil).problem != nil)
        #expect(RateLimitPolicy(limit: 10, windowSeconds: 60, burst: 11, writeLimit: nil).problem != nil)
        #expect(RateLimitPolicy(limit: 10, windowSeconds: 60, burst: 5, writeLimit: 20).problem != nil)
    }

    @Test func tenantNames() {
        #expect(Tenant.nameProblem("acme") == nil)
        #expect(Tenant.nameProblem("") != nil)
        #expect(Tenant.nameProblem("a\nb") != nil)
        #expect(Tenant.nameProblem(String(repeating: "x", count: 101)) != nil)
    }

    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00Z"),
        (Int64(1_734_516_075_000), "2024-12-18T10:01:15Z"),
        (Int64(1_734_516_075_250), "2024-12-18T10:01:15.250Z"),
        (Int64(951_782_400_000), "2000-02-29T00:00:00Z"),
        (Int64(-1000), "1969-12-31T23:59:59Z"),
    ])
    func iso8601(_ milliseconds: Int64, _ expected: String) {
        #expect(Timestamp(milliseconds: milliseconds).iso8601 == expected)
    }

    @Test func batchStatesUseWicksonWords() {
        #expect(BatchState.queued.nativeName == "created")
        #expect(BatchState.running.nativeName == "running")
        #expect(BatchState.allCases.filter(\.isFinal) == [.completed, .failed, .cancelled])
    }
}
