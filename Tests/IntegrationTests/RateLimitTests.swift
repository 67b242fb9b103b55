import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Per-tenant rate limits through nginx with real Redis: headers on every
/// answer, exact budgets under concurrency, a Retry-After that can be trusted,
/// the write budget, the in-process fallback, and isolation between tenants.
@Suite(.serialized) struct RateLimitTests {
    func stack(limit: Int, window: Int, burst: Int) throws -> TestStack {
        var options = TestStack.Options()
        options.tenantLimits = (limit, window, burst)
        return try TestStack(options)
    }

    @Test func everyAuthenticatedAnswerCarriesTheHeaders() throws {
        let stack = try stack(limit: 1000, window: 3600, burst: 100)
        defer { stack.stop() }
        for (path, status) in [
            ("/v1/status", 200), ("/v1/batches/batch-nosuchbatch", 404), ("/v1/batches/bad@id", 400), ("/v1/batch/batch-nosuch", 404),
        ] {
            let answer = try stack.get(path, key: stack.clientKey)
            #expect(answer.status == status)
            #expect(answer.headers["x-ratelimit-limit"] == "1000", "\(path)")
            #expect(Int(answer.headers["x-ratelimit-remaining"] ?? "") != nil, "\(path)")
            let reset = try #require(Int(answer.headers["x-ratelimit-reset"] ?? ""))
            #expect(abs(reset - Int(Date().timeIntervalSince1970)) < 60)
            #expect(answer.headers["ratelimit-policy"] == #""default";q=1000;w=3600"#)
            #expect(answer.headers["ratelimit"]?.hasPrefix(#""default";r="#) == true)
            #expect(answer.headers["retry-after"] == nil)
        }
        let first = Int(try stack.get("/v1/status", key: stack.clientKey).headers["x-ratelimit-remaining"] ?? "") ?? 0
        let second = Int(try stack.get("/v1/status", key: stack.clientKey).headers["x-ratelimit-remaining"] ?? "") ?? 0
        #expect(second == first - 1)
        // Unauthenticated answers are not counted against anyone and carry no figures.
        #expect(try stack.get("/healthz").headers["x-ratelimit-limit"] == nil)
    }

    @Test func twoHundredConcurrentRequestsAgainstABudgetOfOneHundred() throws {
        let stack = try stack(limit: 100, window: 3600, burst: 100)
        defer { stack.stop() }
        let started = Date()
        let answers = concurrently(200) { _ in try? stack.get("/v1/status", key: stack.clientKey) }
        // The budget refills one request every 36 s; a loaded machine may take that long.
        let refilled = Int(Date().timeIntervalSince(started) / 36)
        let passed = answers.filter { $0?.status == 200 }.count
        let refused = answers.compactMap { $0 }.filter { $0.status == 429 }
        #expect((99...101 + refilled).contains(passed), "\(passed) let through, \(refilled) refilled meanwhile")
        #expect(passed + refused.count == 200)
        let refusal = try #require(refused.first)
        #expect(Int(refusal.headers["retry-after"] ?? "") ?? 0 >= 1)
        #expect(refusal.headers["x-ratelimit-remaining"] == "0")
        #expect(refusal.json["code"] as? String == "rate_limit_error")
        #expect(refusal.json["status_code"] as? Int == 429)
        #expect(refusal.json["suggestion"] is String)
        #expect(refusal.json["request_id"] as? String == refusal.headers["x-request-id"])
        let details = try #require(refusal.json["details"] as? [String: Any])
        #expect(details["limit"] as? Int == 100)
        #expect(details["remaining"] as? Int == 0)
        #expect(details["window_size"] as? Int == 3600)
        #expect(details["reset_time"] is String)
        // Each dialect refuses in its own words.
        let talonic = try stack.get("/compat/talonic/v1/batches/batch-x", key: stack.clientKey)
        #expect(talonic.status == 429 && (talonic.json["error"] as? [String: Any])?["code"] as? String == "rate_limited")
        let check = try stack.get("/v1/batch/batch-x", key: stack.clientKey)
        #expect(check.status == 429 && (check.json["error"] as? [String: Any])?["code"] as? String == "rate_limit_error")
        #expect(check.headers["retry-after"] != nil)
    }

    @Test func waitingExactlyRetryAfterIsLetThrough() throws {
        // One request every 3 s, one at a time.
        let stack = try stack(limit: 20, window: 60, burst: 1)
        defer { stack.stop() }
        #expect(try stack.get("/v1/status", key: stack.clientKey).status == 200)
        let refused = try stack.get("/v1/status", key: stack.clientKey)
        #expect(refused.status == 429)
        let wait = try #require(Int(refused.headers["retry-after"] ?? ""))
        #expect((1...3).contains(wait))
        usleep(UInt32(wait) * 1_000_000)
        let again = try stack.get("/v1/status", key: stack.clientKey)
        #expect(again.status == 200, "after waiting Retry-After \(wait) s: \(again.status)")
    }

    @Test func writesHaveTheirOwnLowerLimit() throws {
        let stack = try stack(limit: 1000, window: 3600, burst: 100)
        defer { stack.stop() }
        _ = try stack.batchctl(["tenant", "limits", "acme", "--write-limit", "2"])
        usleep(2_500_000)  // the key cache holds a tenant's policy up to 2 s
        for _ in 0..<2 {
            #expect(try stack.sendJSON("POST", "/v1/batches", key: stack.clientKey, #"{"processor":"noop","items":[{"content":"a"}]}"#).status == 201)
        }
        let refused = try stack.sendJSON("POST", "/v1/batches", key: stack.clientKey, #"{"processor":"noop","items":[{"content":"a"}]}"#)
        #expect(refused.status == 429)
        #expect(refused.headers["ratelimit-policy"] == #""writes";q=2;w=3600"#)
        #expect(try stack.get("/v1/status", key: stack.clientKey).status == 200)
    }

    @Test func redisDownFallsBackToALimitThatStillHolds() throws {
        let stack = try stack(limit: 10, window: 3600, burst: 10)
        defer { stack.stop() }
        try stack.stopRedis()
        let statuses = (0..<15).map { _ in (try? stack.get("/v1/status", key: stack.clientKey))?.status }
        let passed = statuses.filter { $0 == 200 }.count
        #expect(passed == 10, "\(statuses)")
        #expect(statuses.filter { $0 == 429 }.count == 5)
        try stack.startRedis()
    }

    @Test func aTenantAtItsLimitDoesNotSlowAnother() throws {
        let stack = try stack(limit: 5, window: 3600, burst: 5)
        defer { stack.stop() }
        let (_, otherKey) = try stack.makeTenant("beta")
        for _ in 0..<5 { _ = try stack.get("/v1/status", key: stack.clientKey) }
        #expect(try stack.get("/v1/status", key: stack.clientKey).status == 429)
        let started = Date()
        for _ in 0..<20 { #expect(try stack.get("/v1/status", key: otherKey).status == 200) }
        #expect(Date().timeIntervalSince(started) < 5)
        // A raised limit applies within seconds (batchctl works even when the
        // admin's own tenant is at its limit).
        _ = try stack.batchctl(["tenant", "limits", "acme", "--limit", "100000", "--burst", "1000"])
        try stack.waitUntil(seconds: 5, "the raised limit") { (try? stack.get("/v1/status", key: stack.clientKey))?.status == 200 }
    }
}
