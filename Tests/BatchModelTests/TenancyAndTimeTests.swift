import BatchCodecs
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
        #expect(RateLimitPolicy(limit: 10, windowSeconds: 60, burst: 0, writeLimit: nil).problem != nil)
        #expect(RateLimitPolicy(limit: 10, windowSeconds: 60, burst: 100_000_001, writeLimit: nil).problem != nil)
        #expect(RateLimitPolicy(limit: 10, windowSeconds: 60, burst: 5, writeLimit: 0).problem != nil)
        // Each bound stands alone (the contract can state no relation between fields).
        #expect(RateLimitPolicy(limit: 10, windowSeconds: 60, burst: 11, writeLimit: 20).problem == nil)
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

@Suite struct TimestampParsingTests {
    @Test(arguments: [
        ("2024-12-18T10:01:15Z", Int64(1_734_516_075_000)),
        ("2024-12-18T10:01:15.250Z", Int64(1_734_516_075_250)),
        ("2024-12-18T10:01:15.2Z", Int64(1_734_516_075_200)),
        ("2024-12-18T11:01:15+01:00", Int64(1_734_516_075_000)),
        ("2024-12-18", Int64(1_734_480_000_000)),
        ("2000-02-29T00:00:00Z", Int64(951_782_400_000)),
        ("1970-01-01T00:00:00Z", Int64(0)),
    ])
    func parses(_ text: String, _ milliseconds: Int64) {
        #expect(Timestamp(iso8601: text)?.milliseconds == milliseconds)
    }

    @Test(arguments: [
        "", "yesterday", "2024-13-01", "2023-02-29", "2024-12-18T25:00:00Z", "2024-12-18T10:01:15", "2024-12-18T10:01:15Zx", "2024-12-18T10:01:15.Z",
    ])
    func refuses(_ text: String) {
        #expect(Timestamp(iso8601: text) == nil)
    }

    @Test func roundTrips() {
        for ms in [Int64(0), 1_734_516_075_250, 4_102_444_800_000] {
            #expect(Timestamp(iso8601: Timestamp(milliseconds: ms).iso8601)?.milliseconds == ms)
        }
    }
}

@Suite struct Base64Tests {
    @Test func decodesRFC4648Vectors() {
        #expect(Base64.decode("") == [])
        #expect(Base64.decode("Zg==") == Array("f".utf8))
        #expect(Base64.decode("Zm8=") == Array("fo".utf8))
        #expect(Base64.decode("Zm9vYmFy") == Array("foobar".utf8))
        #expect(Base64.decode("+/8=") == [0xFB, 0xFF])
    }

    @Test(arguments: ["Zg=", "Z", "Zm9v!", "Zg==Zg==", "Zm9vY", "Zg==="])
    func refusesMalformed(_ text: String) {
        #expect(Base64.decode(text) == nil)
    }
}
