import BatchModel
import Foundation
import Testing

@testable import BatchCache

#if canImport(Glibc)
    import Glibc
#endif

@Suite(.serialized) struct StatusCacheMirrorTests {
    let key = StatusCacheKey(tenantID: "ten-a", batchID: "batch-1", kind: .status, query: "")

    func entry(_ version: Int, expires: Int64?, _ text: String = "{}") -> StatusCacheEntry {
        StatusCacheEntry(version: version, ttlSeconds: 30, body: Array(text.utf8), expiresAtMilliseconds: expires)
    }

    @Test func invalidationMessagesReadBackAndAnythingElseMeansAll() {
        let batch = StatusInvalidation.batch(BatchIdentity(tenantID: "ten-a", batchID: "batch-1"))
        for invalidation in [batch, .tenant("ten-a"), .all] {
            #expect(StatusInvalidation(message: Array(invalidation.message.utf8)) == invalidation)
        }
        #expect(batch.message == "b ten-a batch-1")
        for garbage in ["", "b", "b ten-a", "b  batch-1", "b ten-a batch-1 x", "t", "t ", "t a b", "x ten-a", "bb ten-a batch-1", "\u{0}"] {
            #expect(StatusInvalidation(message: Array(garbage.utf8)) == .all, "\(garbage)")
        }
    }

    /// The kept entries as a value: kept only with an unchanged ticket and an
    /// expiry, found while fresh, dropped by batch, tenant or all, and never more
    /// than the bytes allowed.
    @Test func entriesAreKeptFoundExpiredAndDropped() {
        var entries = StatusCacheMirror.Entries(maxBytes: 10_000)
        let other = StatusCacheKey(tenantID: "ten-a", batchID: "batch-2", kind: .status)
        let otherTenant = StatusCacheKey(tenantID: "ten-b", batchID: "batch-1", kind: .status)
        let check = StatusCacheKey(tenantID: "ten-a", batchID: "batch-1", kind: .check)

        // No expiry (an entry of the older form): not kept.
        entries.keep(key, entry(1, expires: nil), ticket: entries.generation)
        #expect(entries.lookup(key, now: 0) == nil)
        // An invalidation between the ticket and the keeping: not kept.
        let stale = entries.generation
        entries.apply(.batch(BatchIdentity(tenantID: "x", batchID: "y")))
        entries.keep(key, entry(1, expires: 50_000), ticket: stale)
        #expect(entries.lookup(key, now: 0) == nil)

        for kept in [key, other, otherTenant, check] { entries.keep(kept, entry(2, expires: 50_000), ticket: entries.generation) }
        let found = entries.lookup(key, now: 40_000)
        #expect(found?.entry == entry(2, expires: nil) && found?.remainingMilliseconds == 10_000)
        #expect(entries.lookup(key, now: 25_000)?.remainingMilliseconds == 25_000)  // never above the TTL
        // Expired: dropped on sight.
        #expect(entries.lookup(other, now: 50_000) == nil && entries.byBatch[BatchIdentity(tenantID: "ten-a", batchID: "batch-2")] == nil)

        // A batch drops all its documents; a tenant all its batches; all everything.
        entries.apply(.batch(BatchIdentity(tenantID: "ten-a", batchID: "batch-1")))
        #expect(entries.lookup(key, now: 0) == nil && entries.lookup(check, now: 0) == nil && entries.lookup(otherTenant, now: 0) != nil)
        for kept in [key, other] { entries.keep(kept, entry(3, expires: 50_000), ticket: entries.generation) }
        entries.apply(.tenant("ten-a"))
        #expect(entries.lookup(key, now: 0) == nil && entries.lookup(other, now: 0) == nil && entries.lookup(otherTenant, now: 0) != nil)
        entries.apply(.all)
        #expect(entries.lookup(otherTenant, now: 0) == nil && entries.bytes == 0 && entries.byBatch.isEmpty)

        // Bytes: a newer copy replaces the old one's; past the bound everything goes first.
        var small = StatusCacheMirror.Entries(maxBytes: 1_000)
        let body = String(repeating: "x", count: 300)
        small.keep(key, entry(1, expires: 50_000, body), ticket: small.generation)
        small.keep(key, entry(2, expires: 50_000, body), ticket: small.generation)
        #expect(small.bytes == 300 + 128)
        small.keep(other, entry(1, expires: 50_000, body), ticket: small.generation)
        #expect(small.bytes == 2 * (300 + 128))
        small.keep(check, entry(1, expires: 50_000, body), ticket: small.generation)
        #expect(small.bytes == 300 + 128 && small.lookup(check, now: 0) != nil && small.lookup(key, now: 0) == nil)
        // One larger than the whole bound is not kept at all.
        small.keep(key, entry(1, expires: 50_000, String(repeating: "x", count: 2_000)), ticket: small.generation)
        #expect(small.lookup(key, now: 0) == nil && small.lookup(check, now: 0) != nil)
    }

    /// What one worker refers to is bounded in count and in bytes (a copy can keep a
    /// body alive after it left the mirror), and a body past the bound is not copied.
    @Test func aWorkersCopiesAreBounded() {
        var copies = StatusCacheMirror.Copies()
        func copy(_ bytes: Int) -> StatusCacheMirror.Copies.Copy {
            .init(entry: entry(1, expires: 1, String(repeating: "x", count: bytes)), stripe: 0, stripeGeneration: 0, everythingGeneration: 0)
        }
        func key(_ index: Int) -> StatusCacheKey { StatusCacheKey(tenantID: "t", batchID: "b\(index)", kind: .status) }
        for index in 0..<StatusCacheMirror.Copies.maxCount { copies.remember(key(index), copy(10)) }
        #expect(copies.byKey.count == StatusCacheMirror.Copies.maxCount && copies.bytes == 10 * StatusCacheMirror.Copies.maxCount)
        copies.remember(key(1_000), copy(10))
        #expect(copies.byKey.count == 1 && copies.bytes == 10)
        copies.remember(key(1), copy(StatusCacheMirror.Copies.maxBytes - 5))
        #expect(copies.byKey.count == 1 && copies.bytes == StatusCacheMirror.Copies.maxBytes - 5)
        copies.remember(key(2), copy(StatusCacheMirror.Copies.maxBytes + 1))
        #expect(copies.byKey[key(2)] == nil && copies.byKey.count == 1)
        copies.forget(key(1))
        #expect(copies.byKey.isEmpty && copies.bytes == 0)
    }

    /// Two processes' mirrors on one real Redis: an invalidation or a flush made
    /// through a third connection is seen by both on their very next lookup (no
    /// wait: the publisher's extra round trip put the message in their sockets);
    /// Redis going away turns both off and drops what they kept; back, they
    /// subscribe again (at housekeeping's pace), empty.
    @Test func invalidationsReachEveryMirrorBeforeThePublisherAnswers() throws {
        let server = try RedisServer()
        let endpoint = RedisEndpoint.unix(path: server.socketPath)
        let cache = StatusCache()
        let writer = RedisConnection(endpoint: endpoint)
        let mirrors = [StatusCacheMirror(endpoint: endpoint, maxBytes: 1 << 20), StatusCacheMirror(endpoint: endpoint, maxBytes: 1 << 20)]
        let now = Timestamp.now().milliseconds
        // Not subscribed yet: nothing is kept or found.
        #expect(mirrors[0].ticket() == nil)
        for mirror in mirrors { mirror.maintain() }
        #expect(mirrors.allSatisfy { $0.isSubscribed })
        // A worker's own copies, found without the lock, must drop with the entries.
        var copies = [StatusCacheMirror.Copies(), StatusCacheMirror.Copies()]
        func copiesFind(_ key: StatusCacheKey) -> [Int?] {
            (0..<2).map { mirrors[$0].lookup(key, now: now, copies: &copies[$0])?.entry.version }
        }

        func keepEverywhere(_ key: StatusCacheKey, _ version: Int) throws {
            // What housekeeping does four times a second: its pongs keep the mirrors heard
            // from (a loaded machine can stretch this test past their second of silence).
            for mirror in mirrors { mirror.maintain() }
            #expect(try cache.write(writer, key, entry(version, expires: nil)))
            guard case .hit(let stored, _) = try cache.read(from: cache.plainRead(writer, key)) else {
                Issue.record("no hit")
                return
            }
            for mirror in mirrors {
                let ticket = try #require(mirror.ticket())
                mirror.keep(key, stored, ticket: ticket)
                #expect(mirror.lookup(key, now: now)?.entry.version == version)
            }
            #expect(copiesFind(key) == [version, version] && copiesFind(key) == [version, version])
        }
        let other = StatusCacheKey(tenantID: "ten-b", batchID: "batch-7", kind: .talonic)
        try keepEverywhere(key, 1)
        try keepEverywhere(other, 1)
        // A batch's invalidation, a hundred times over: never a stale copy right after.
        for round in 2..<102 {
            try cache.invalidate(writer, batch: BatchIdentity(tenantID: "ten-a", batchID: "batch-1"), version: round)
            #expect(copiesFind(key) == [nil, nil], "round \(round)")
            #expect(mirrors.allSatisfy { $0.lookup(key, now: now) == nil }, "round \(round)")
            try keepEverywhere(key, round)
        }
        #expect(mirrors.allSatisfy { $0.lookup(other, now: now) != nil })
        // A tenant's flush, then everyone's.
        #expect(try cache.flush(writer, tenantID: "ten-a") == 1)
        #expect(copiesFind(key) == [nil, nil] && copiesFind(other) == [1, 1])
        #expect(mirrors.allSatisfy { $0.lookup(key, now: now) == nil && $0.lookup(other, now: now) != nil })
        try keepEverywhere(key, 200)
        _ = try cache.flush(writer)
        #expect(mirrors.allSatisfy { $0.lookup(key, now: now) == nil && $0.lookup(other, now: now) == nil })

        // A read that began before an invalidation is not kept after it.
        try keepEverywhere(key, 300)
        let ticket = try #require(mirrors[0].ticket())
        try cache.invalidate(writer, batch: BatchIdentity(tenantID: "ten-a", batchID: "batch-1"), version: 301)
        mirrors[0].keep(key, entry(300, expires: now + 30_000), ticket: ticket)
        #expect(mirrors[0].lookup(key, now: now) == nil)

        // Redis stalled (the socket stays open, nothing answers): serving until it has
        // been silent for a second, then off and emptied; answering again: back on.
        try keepEverywhere(key, 350)
        let pid = try String(contentsOfFile: server.folder + "/redis.pid", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        kill(pid_t(pid) ?? 0, SIGSTOP)
        for mirror in mirrors { mirror.maintain() }
        #expect(mirrors[0].lookup(key, now: now) != nil)
        usleep(UInt32(StatusCacheMirror.silenceMilliseconds + 300) * 1000)
        #expect(mirrors.allSatisfy { $0.lookup(key, now: now) == nil && $0.ticket() == nil && $0.size.entries == 0 && $0.isSubscribed })
        kill(pid_t(pid) ?? 0, SIGCONT)
        for mirror in mirrors { mirror.maintain() }
        usleep(100_000)
        #expect(mirrors.allSatisfy { $0.ticket() != nil })

        // Redis away: off and emptied; back: subscribed again by housekeeping, empty.
        try keepEverywhere(key, 400)
        server.stop()
        #expect(copiesFind(key) == [nil, nil])
        #expect(mirrors.allSatisfy { $0.lookup(key, now: now) == nil && !$0.isSubscribed && $0.size.entries == 0 })
        for mirror in mirrors { mirror.maintain() }
        #expect(!mirrors[0].isSubscribed)
        try server.start()
        // (A failed connect is retried no sooner than half a second later; housekeeping asks every 250 ms.)
        for _ in 0..<40 where !mirrors.allSatisfy({ $0.isSubscribed }) {
            for mirror in mirrors { mirror.maintain() }
            usleep(50_000)
        }
        #expect(mirrors.allSatisfy { $0.isSubscribed && $0.size.entries == 0 })
        writer.disconnect()
        try keepEverywhere(key, 500)
    }
}
