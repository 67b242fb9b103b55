import BatchModel
import TestSupport
import Testing

@testable import BatchCache

#if canImport(Glibc)
    import Glibc
#endif

@Suite(.serialized) struct StatusCacheTests {
    let cache = StatusCache(lockMilliseconds: 1000)

    func entry(_ version: Int, ttl: Int = 30, _ text: String = "{}") -> StatusCacheEntry {
        StatusCacheEntry(version: version, ttlSeconds: ttl, body: Array(text.utf8))
    }

    @Test func keysNameTheTenantBatchKindAndQuery() {
        let key = StatusCacheKey(tenantID: "ten-a", batchID: "batch-1", kind: .status, query: "q")
        #expect(key.entry == "bd:{ten-a}:c:batch-1:\(CachedDocumentKind.status.rawValue):q")
        #expect(key.lock == "bd:{ten-a}:cl:batch-1:\(CachedDocumentKind.status.rawValue):q")
        #expect(StatusCacheKey(tenantID: "t", batchID: "b", kind: .check).entry == "bd:{t}:c:b:\(CachedDocumentKind.check.rawValue):")
    }

    @Test func entriesEncodeTheirVersionAndTTL() {
        let original = entry(7, ttl: 300, "{\"a\":\"line\\nbreak\"}")
        #expect(StatusCacheEntry(decoding: original.encoded) == original)
        #expect(StatusCacheEntry(decoding: Array("garbage".utf8)) == nil)
        #expect(StatusCacheEntry(decoding: Array("x 1\n{}".utf8)) == nil)
        #expect(StatusCacheEntry(decoding: Array("1 2 x\n{}".utf8)) == nil)
        let stamped = StatusCacheEntry(decoding: Array("4 30 1000000\n{}".utf8))
        #expect(stamped?.expiresAtMilliseconds == 1_000_000)
        #expect(stamped?.remainingMilliseconds(now: 990_000) == 10_000)
        #expect(stamped?.remainingMilliseconds(now: 900_000) == 30_000)  // never above the TTL
        #expect(stamped?.remainingMilliseconds(now: 2_000_000) == 0)
        #expect(StatusCacheEntry(decoding: Array("4 30\n{}".utf8))?.remainingMilliseconds(now: 0) == nil)
        // Anything but two or three plain decimals before the newline is not an entry.
        for header in ["1 2 ", "1  2", " 1 2", "-1 2", "1 -2", "+1 2", "1", "1 2 3 4", "1 2 1234567890123456789", "1 9999999999", ""] {
            #expect(StatusCacheEntry(decoding: Array("\(header)\n{}".utf8)) == nil, "\(header)")
        }
        #expect(StatusCacheEntry(decoding: Array(repeating: UInt8(ascii: "1"), count: 70) + [0x0A]) == nil)
        #expect(StatusCacheEntry(decoding: Array("0 0\n".utf8)) == StatusCacheEntry(version: 0, ttlSeconds: 0, body: []))
        // A plain GET's reply is kept when its header says when it expires.
        #expect(StatusCacheEntry.isStamped(Array("4 30 1000000\n{ }".utf8)))
        #expect(!StatusCacheEntry.isStamped(Array("4 30\n{ } { }".utf8)) && !StatusCacheEntry.isStamped(Array("4 30 1".utf8)))
        #expect(StatusCacheEntry.isStamped(entry(3, ttl: 9, "{}").stampedForTest.encoded))
    }

    /// A reader whose rate limit was decided in process reads an entry with a plain
    /// GET (its expiry is in it); a miss or an entry of the older form takes the script.
    @Test func aPlainReadFindsTheTimeLeftInTheEntry() throws {
        let server = try RedisServer()
        let redis = RedisConnection(endpoint: .unix(path: server.socketPath))
        let key = StatusCacheKey(tenantID: "ten-a", batchID: "batch-9", kind: .status)
        #expect(try cache.read(from: cache.plainRead(redis, key)) == .miss(rebuild: true))
        #expect(try cache.write(redis, key, entry(2, ttl: 30)))
        guard case .hit(let found, let milliseconds) = try cache.read(from: cache.plainRead(redis, key)) else {
            Issue.record("no hit")
            return
        }
        #expect(found == entry(2, ttl: 30) && milliseconds > 29_000 && milliseconds <= 30_000)
        _ = try redis.command(["SET", key.entry, "3 30\n{}", "PX", "20000"])
        guard case .hit(let old, let left) = try cache.read(from: cache.plainRead(redis, key)) else {
            Issue.record("no hit for the older form")
            return
        }
        #expect(old.version == 3 && left > 19_000 && left <= 20_000)
    }

    @Test func aMissTakesTheLockOnceThenAHitCarriesItsTTL() throws {
        let server = try RedisServer()
        let redis = RedisConnection(endpoint: .unix(path: server.socketPath))
        let key = StatusCacheKey(tenantID: "ten-a", batchID: "batch-1", kind: .status, query: "q")
        #expect(try cache.read(redis, key) == .miss(rebuild: true))
        #expect(try cache.read(redis, key) == .miss(rebuild: false))
        #expect(try cache.write(redis, key, entry(3, ttl: 30)))
        guard case .hit(let found, let milliseconds) = try cache.read(redis, key) else {
            Issue.record("no hit")
            return
        }
        #expect(found == entry(3, ttl: 30))
        #expect(milliseconds > 29_000 && milliseconds <= 30_000)
        // The write freed the lock: after an invalidation the next reader rebuilds at once.
        try cache.invalidate(redis, batch: BatchIdentity(tenantID: "ten-a", batchID: "batch-1"), version: 4)
        #expect(try cache.read(redis, key) == .miss(rebuild: true))
        try cache.addStatistics(redis, hits: 1, misses: 3)
        try cache.addStatistics(redis, hits: 2, misses: 0)
        let figures = try cache.statistics(redis, tenantID: "ten-a")
        #expect(figures.hits == 3)
        #expect(figures.misses == 3)
        #expect(figures.entries == 0)
    }

    @Test func olderVersionsNeverReplaceNewerOnes() throws {
        let server = try RedisServer()
        let redis = RedisConnection(endpoint: .unix(path: server.socketPath))
        let key = StatusCacheKey(tenantID: "ten-a", batchID: "batch-2", kind: .check)
        #expect(try cache.write(redis, key, entry(5, "{\"v\":5}")))
        #expect(try !cache.write(redis, key, entry(4, "{\"v\":4}")))
        #expect(try cache.write(redis, key, entry(6, "{\"v\":6}")))
        guard case .hit(let found, _) = try cache.read(redis, key) else {
            Issue.record("no hit")
            return
        }
        #expect(found.version == 6)
        // After an invalidation at version 8, a slow reader still holding version 7 is refused.
        try cache.invalidate(redis, batch: BatchIdentity(tenantID: "ten-a", batchID: "batch-2"), version: 8)
        #expect(try !cache.write(redis, key, entry(7)))
        #expect(try cache.write(redis, key, entry(8)))
        // A deleted batch is never written again.
        try cache.invalidate(redis, batch: BatchIdentity(tenantID: "ten-a", batchID: "batch-2"), version: StatusCache.goneVersion)
        #expect(try !cache.write(redis, key, entry(1_000_000)))
    }

    @Test func invalidationRemovesEveryEntryOfTheBatchOnly() throws {
        let server = try RedisServer()
        let redis = RedisConnection(endpoint: .unix(path: server.socketPath))
        let keys = CachedDocumentKind.allCases.map { StatusCacheKey(tenantID: "ten-a", batchID: "batch-3", kind: $0, query: "x") }
        let other = StatusCacheKey(tenantID: "ten-a", batchID: "batch-4", kind: .status)
        for key in keys + [other] { try cache.write(redis, key, entry(1)) }
        #expect(try cache.invalidate(redis, batch: BatchIdentity(tenantID: "ten-a", batchID: "batch-3"), version: 2) == 3)
        for key in keys { #expect(try cache.read(redis, key) == .miss(rebuild: true)) }
        guard case .hit = try cache.read(redis, other) else {
            Issue.record("another batch's entry went too")
            return
        }
    }

    @Test func flushByBatchTenantAndAll() throws {
        let server = try RedisServer()
        let redis = RedisConnection(endpoint: .unix(path: server.socketPath))
        let a1 = StatusCacheKey(tenantID: "ten-a", batchID: "batch-a1", kind: .status)
        let a2 = StatusCacheKey(tenantID: "ten-a", batchID: "batch-a2", kind: .status)
        let b1 = StatusCacheKey(tenantID: "ten-b", batchID: "batch-b1", kind: .talonic)
        for key in [a1, a2, b1] { try cache.write(redis, key, entry(1)) }
        #expect(try cache.statistics(redis).entries == 3)
        #expect(try cache.flush(redis, tenantID: "ten-a", batchID: "batch-a1") == 1)
        #expect(try cache.statistics(redis, tenantID: "ten-a").entries == 1)
        #expect(try cache.flush(redis, tenantID: "ten-a") == 1)
        // Operators flush a batch without naming its tenant.
        #expect(try cache.flush(redis, batchID: "batch-b1") == 1)
        try cache.write(redis, b1, entry(1))
        #expect(try cache.statistics(redis).entries == 1)
        #expect(try cache.flush(redis) == 1)
        #expect(try cache.statistics(redis).entries == 0)
        #expect(try cache.statistics(redis).memoryBytes > 0)
    }

    @Test func pendingInvalidationsAreReplayedWhenRedisIsBack() throws {
        let server = try RedisServer()
        let redis = RedisConnection(endpoint: .unix(path: server.socketPath), commandTimeoutMilliseconds: 50, reconnectIntervalMilliseconds: 10)
        let key = StatusCacheKey(tenantID: "ten-a", batchID: "batch-5", kind: .status)
        try cache.write(redis, key, entry(1))
        let invalidator = CacheInvalidator(cache: cache)
        // Redis stalls (SIGSTOP): the invalidation times out and is kept.
        try ChildProcess.bash("kill -STOP $(cat \(server.folder)/redis.pid)")
        invalidator.invalidate(redis, batch: BatchIdentity(tenantID: "ten-a", batchID: "batch-5"), version: 2)
        #expect(invalidator.hasPending)
        try ChildProcess.bash("kill -CONT $(cat \(server.folder)/redis.pid)")
        usleep(50_000)
        // The stale entry is still in Redis until the replay removes it.
        #expect(invalidator.replay(redis))
        #expect(!invalidator.hasPending)
        #expect(try cache.read(redis, key) == .miss(rebuild: true))
        #expect(try !cache.write(redis, key, entry(1)))
    }
}

@Suite(.serialized) struct RedisRateLimiterTests {
    /// The script in Redis and `GCRA.decide` answer the same for the same sequence.
    @Test func theScriptMatchesTheModel() throws {
        let server = try RedisServer()
        let redis = RedisConnection(endpoint: .unix(path: server.socketPath))
        let limiter = RedisRateLimiter()
        let policy = RateLimitPolicy(limit: 5, windowSeconds: 3600, burst: 5, writeLimit: nil)
        var remaining: [Int] = []
        var allowed: [Bool] = []
        for _ in 0..<7 {
            let verdict = try limiter.check(redis, tenantID: "ten-a", policy: policy, write: false)
            remaining.append(verdict.decision.remaining)
            allowed.append(verdict.allowed)
        }
        #expect(allowed == [true, true, true, true, true, false, false])
        #expect(remaining == [4, 3, 2, 1, 0, 0, 0])
        let refused = try limiter.check(redis, tenantID: "ten-a", policy: policy, write: false)
        // 720 s per request at 5 an hour: Retry-After is that, rounded up.
        #expect(refused.decision.retryAfterSeconds == 720 || refused.decision.retryAfterSeconds == 719)
        #expect(refused.headers.contains { $0.name == "Retry-After" })
        // Another tenant has its own budget.
        #expect(try limiter.check(redis, tenantID: "ten-b", policy: policy, write: false).allowed)
    }

    /// A lease's take gets as many cells as fit (none when refused), and a refund
    /// gives unspent ones back to the budget.
    @Test func takesGetWhatFitsAndRefundsGiveBack() throws {
        let server = try RedisServer()
        let redis = RedisConnection(endpoint: .unix(path: server.socketPath))
        let limiter = RedisRateLimiter()
        let policy = RateLimitPolicy(limit: 10, windowSeconds: 3600, burst: 10, writeLimit: nil)
        func take(_ cells: Int) throws -> (taken: Int, remaining: Int) {
            let (verdict, taken) = try limiter.takenVerdict(
                from: redis.evaluate([limiter.call(tenantID: "ten-a", policy: policy, write: false, cells: cells)])[0], policy: policy)
            #expect(verdict.allowed == (taken > 0))
            return (taken, verdict.decision.remaining)
        }
        #expect(try take(4) == (4, 6))
        #expect(try take(10) == (6, 0))
        #expect(try take(3) == (0, 0))
        let key = RedisRateLimiter.budgetKey(tenantID: "ten-a", policy: policy)
        _ = try redis.evaluate([limiter.refundCall(budgetKey: key, intervalMilliseconds: policy.requests.intervalMilliseconds, cells: 3)])
        #expect(try take(5) == (3, 0))
        // One cell a request, as before leases, when asked for one.
        #expect(try limiter.check(redis, tenantID: "ten-b", policy: policy, write: false).decision.remaining == 9)
    }

    @Test func writesDrawOnBothBudgetsAndRefusalsConsumeNothing() throws {
        let server = try RedisServer()
        let redis = RedisConnection(endpoint: .unix(path: server.socketPath))
        let limiter = RedisRateLimiter()
        let policy = RateLimitPolicy(limit: 100, windowSeconds: 3600, burst: 100, writeLimit: 2)
        #expect(try limiter.check(redis, tenantID: "ten-w", policy: policy, write: true).allowed)
        #expect(try limiter.check(redis, tenantID: "ten-w", policy: policy, write: true).allowed)
        let refused = try limiter.check(redis, tenantID: "ten-w", policy: policy, write: true)
        #expect(!refused.allowed)
        #expect(refused.policyName == "writes")
        // Reads still pass, and the refused write did not cost the general budget.
        let read = try limiter.check(redis, tenantID: "ten-w", policy: policy, write: false)
        #expect(read.allowed)
        #expect(read.decision.remaining == 97)
    }

    @Test func aGatedReadDecidesAndReadsInOneCall() throws {
        let server = try RedisServer()
        let redis = RedisConnection(endpoint: .unix(path: server.socketPath))
        let limiter = RedisRateLimiter()
        let cache = StatusCache()
        let policy = RateLimitPolicy(limit: 2, windowSeconds: 3600, burst: 2, writeLimit: nil)
        let key = StatusCacheKey(tenantID: "ten-g", batchID: "batch-g", kind: .status)
        func gated() throws -> (RateLimitVerdict, StatusCache.Read?) {
            let (verdict, _, reply) = try limiter.gatedRead(
                from: redis.evaluate([limiter.gatedReadCall(tenantID: "ten-g", policy: policy, key: key, lockMilliseconds: 1000)])[0], policy: policy)
            return (verdict, try reply.map { try cache.read(from: $0) })
        }
        let (first, miss) = try gated()
        #expect(first.allowed && first.decision.remaining == 1)
        #expect(miss == .miss(rebuild: true))
        try cache.write(redis, key, StatusCacheEntry(version: 1, ttlSeconds: 30, body: Array("{}".utf8)))
        let (second, hit) = try gated()
        #expect(second.allowed && second.decision.remaining == 0)
        guard case .hit(let entry, _)? = hit else {
            Issue.record("no hit: \(String(describing: hit))")
            return
        }
        #expect(entry.version == 1)
        // Refused: no read at all (and no rebuild lock taken for nothing).
        try cache.invalidate(redis, batch: BatchIdentity(tenantID: "ten-g", batchID: "batch-g"), version: 2)
        let (third, none) = try gated()
        #expect(!third.allowed)
        #expect(none == nil)
        #expect(try cache.read(redis, key) == .miss(rebuild: true))
    }

    @Test func aScriptForgottenByRedisIsLoadedAgain() throws {
        let server = try RedisServer()
        let redis = RedisConnection(endpoint: .unix(path: server.socketPath))
        let limiter = RedisRateLimiter()
        #expect(try limiter.check(redis, tenantID: "ten-s", policy: .default, write: false).allowed)
        _ = try redis.command(["SCRIPT", "FLUSH"])
        #expect(try limiter.check(redis, tenantID: "ten-s", policy: .default, write: false).decision.remaining == 98)
    }

    /// Every key a tenant's cache entries and limits use carries the tenant as
    /// its hash tag, so a Redis Cluster keeps each script's keys on one node.
    @Test func everyKeyOfATenantCarriesItsHashTag() throws {
        let server = try RedisServer()
        let redis = RedisConnection(endpoint: .unix(path: server.socketPath))
        let limiter = RedisRateLimiter()
        let cache = StatusCache()
        func entry(_ version: Int) -> StatusCacheEntry { StatusCacheEntry(version: version, ttlSeconds: 30, body: Array("{}".utf8)) }
        let key = StatusCacheKey(tenantID: "ten-h", batchID: "batch-h", kind: .status, query: "q")
        _ = try cache.read(redis, key)
        try cache.write(redis, key, entry(3))
        try cache.invalidate(redis, batch: BatchIdentity(tenantID: "ten-h", batchID: "batch-h"), version: 4)
        try cache.write(redis, key, entry(5))
        var policy = RateLimitPolicy.default
        policy.writeLimit = 10
        _ = try limiter.check(redis, tenantID: "ten-h", policy: policy, write: true)
        try cache.addStatistics(redis, hits: 1, misses: 1)
        guard case .array(let replies) = try redis.command(["KEYS", "*"]) else { throw CacheError.unexpectedReply("KEYS") }
        let keys = replies.compactMap(\.string)
        #expect(keys.count >= 5, "\(keys)")
        for key in keys where key != "bd:cstats" {
            #expect(StatusCache.hashTag(key) == "ten-h", "\(key)")
        }
        #expect(StatusCache.hashTag("bd:{}:x") == "bd:{}:x")
        #expect(StatusCache.hashTag("plain") == "plain")
    }
}

extension StatusCacheEntry {
    var stampedForTest: StatusCacheEntry {
        var stamped = self
        stamped.expiresAtMilliseconds = 5
        return stamped
    }
}
