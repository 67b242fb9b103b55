public import BatchModel
import Lifecycle
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// This process's copy of the status-cache entries it read from Redis, so a
/// document read again is answered without a round trip, and still exactly as
/// Redis would answer it.
///
/// Why it stays exact: every invalidation (a batch changed, was deleted, an admin
/// flushed) is published by the process that made it (`StatusCache.invalidate`,
/// `flush`) inside the same round trip that deletes the entries, and the publisher
/// then waits for one more round trip before answering its own client, by which
/// time Redis has written the message into every subscriber's socket. A lookup
/// first applies whatever is waiting on that socket (a `poll` with no wait, a read
/// only when something arrived), so a request that follows a change, on any node,
/// never finds the entry. An entry read from Redis is kept only when no
/// invalidation was applied between before the read and the keeping (`ticket`):
/// one that arrives later drops it. Entries leave on their own expiry (the time
/// Redis drops them, stamped in the entry, so `cache_remaining` reads the same).
///
/// While the subscription is down (Redis away, not yet connected), and while it
/// has been silent for more than `silenceMilliseconds` (housekeeping pings through
/// it four times a second: a Redis that stalls without closing the socket), the
/// mirror answers nothing, keeps nothing and drops what it kept: another process's
/// change made meanwhile could not be published. So a stalled Redis costs other
/// nodes' exactness for at most that second, as long as every process's own
/// changes are dropped here at once (`CacheInvalidator`).
public final class StatusCacheMirror: Sendable {
    /// The entries of one process, by batch and then by document and query.
    struct Entries {
        struct Variant: Hashable {
            var kind: CachedDocumentKind
            var query: String
        }

        var byBatch: [BatchIdentity: [Variant: StatusCacheEntry]] = [:]
        var bytes = 0
        /// Moves on every invalidation and every clearing: a read that began before
        /// a move is not kept after it.
        var generation = 0
        let maxBytes: Int

        init(maxBytes: Int) { self.maxBytes = maxBytes }

        static func cost(_ variant: Variant, _ entry: StatusCacheEntry) -> Int { entry.body.count + variant.query.utf8.count + 128 }

        /// The entry while it has time left at `now` (unix ms); an expired one is dropped.
        mutating func lookup(_ key: StatusCacheKey, now: Int64) -> (entry: StatusCacheEntry, remainingMilliseconds: Int)? {
            let batch = BatchIdentity(tenantID: key.tenantID, batchID: key.batchID)
            let variant = Variant(kind: key.kind, query: key.query)
            guard let entry = byBatch[batch]?[variant] else { return nil }
            guard let remaining = entry.remainingMilliseconds(now: now), remaining > 0 else {
                remove(batch, variant)
                return nil
            }
            return (entry, remaining)
        }

        /// Keeps `entry` when nothing was invalidated since `ticket` was taken. Past
        /// `maxBytes` everything kept is dropped first (entries are small and short-lived;
        /// a full mirror refills from Redis).
        mutating func keep(_ key: StatusCacheKey, _ entry: StatusCacheEntry, ticket: Int) {
            guard ticket == generation, entry.expiresAtMilliseconds != nil else { return }
            let batch = BatchIdentity(tenantID: key.tenantID, batchID: key.batchID)
            let variant = Variant(kind: key.kind, query: key.query)
            let cost = Self.cost(variant, entry)
            guard cost <= maxBytes else { return }
            remove(batch, variant)
            if bytes + cost > maxBytes { clear() }
            byBatch[batch, default: [:]][variant] = entry
            bytes += cost
        }

        mutating func apply(_ invalidation: StatusInvalidation) {
            generation &+= 1
            switch invalidation {
            case .batch(let batch):
                if let removed = byBatch.removeValue(forKey: batch) { bytes -= removed.reduce(0) { $0 + Self.cost($1.key, $1.value) } }
            case .tenant(let tenantID):
                for batch in byBatch.keys where batch.tenantID == tenantID { apply(.batch(batch)) }
            case .all:
                clear()
            }
        }

        mutating func clear() {
            generation &+= 1
            byBatch = [:]
            bytes = 0
        }

        private mutating func remove(_ batch: BatchIdentity, _ variant: Variant) {
            guard let removed = byBatch[batch]?.removeValue(forKey: variant) else { return }
            bytes -= Self.cost(variant, removed)
            if byBatch[batch]?.isEmpty == true { byBatch[batch] = nil }
        }
    }

    /// One worker's own references to entries it found here, checked against the
    /// generations below without taking the mirror's lock (64 workers on one lock
    /// waited for each other). A worker owns it; nothing else touches it.
    public struct Copies {
        struct Copy {
            var entry: StatusCacheEntry
            var stripe: Int
            var stripeGeneration: Int
            var everythingGeneration: Int
        }

        var byKey: [StatusCacheKey: Copy] = [:]
        /// The bodies referred to. A copy whose entry left the mirror keeps its body alive
        /// until the worker looks it up again, so what a worker may hold is bounded too.
        var bytes = 0
        /// Past this many, or these bytes, the worker's copies are dropped (they refill
        /// from the mirror); a body larger than the bytes is never copied.
        static let maxCount = 64
        static let maxBytes = 256 << 10

        mutating func remember(_ key: StatusCacheKey, _ copy: Copy) {
            let size = copy.entry.body.count
            guard size <= Self.maxBytes else { return }
            if byKey.count >= Self.maxCount || bytes + size > Self.maxBytes {
                byKey.removeAll(keepingCapacity: true)
                bytes = 0
            }
            byKey[key] = copy
            bytes += size
        }

        mutating func forget(_ key: StatusCacheKey) {
            if let copy = byKey.removeValue(forKey: key) { bytes -= copy.entry.body.count }
        }

        public init() {}
    }

    /// A counter that moves with every invalidation of the batches hashed to it.
    private final class Generation: Sendable {
        let value = Atomic<Int>(0)
    }

    private let entries: Mutex<Entries>
    /// Batches are hashed to one of these; a batch's invalidation moves its stripe's.
    private let stripes: [Generation] = (0..<1024).map { _ in Generation() }
    /// Moves when more than a batch is dropped (a tenant, everything, a lost subscription).
    private let everything = Atomic<Int>(0)
    private let answered = Atomic<Int>(0)

    /// Lookups answered since start (`/metrics`).
    public var answers: Int { answered.load(ordering: .relaxed) }
    /// The subscription, used under its lock by whichever thread finds messages waiting.
    private let feed: Mutex<RedisConnection>
    /// A duplicate of the subscribed socket, or -1 while not subscribed: polled by every
    /// lookup without the lock. A duplicate, closed only after the mirror was cleared
    /// and this set to -1, so a lookup never polls a number reused by another socket
    /// while stale entries are still kept.
    private let descriptor = Atomic<Int32>(-1)
    /// When the subscription last said anything (monotonic ms): a message or a pong.
    private let lastHeard = Atomic<Int64>(0)
    /// How long the subscription may be silent before the mirror stops answering.
    public static let silenceMilliseconds: Int64 = 1_000

    /// `maxBytes`: what the kept entries may add up to (bodies and keys).
    public init(endpoint: RedisEndpoint, maxBytes: Int) {
        entries = Mutex(Entries(maxBytes: maxBytes))
        feed = Mutex(RedisConnection(endpoint: endpoint, commandTimeoutMilliseconds: 500))
    }

    deinit {
        let fd = descriptor.load(ordering: .acquiring)
        if fd >= 0 { close(fd) }
    }

    /// True while subscribed: the mirror answers and keeps.
    public var isSubscribed: Bool { descriptor.load(ordering: .acquiring) >= 0 }

    /// The entry for `key` with the milliseconds it has left, when kept and fresh,
    /// after every invalidation that has reached this process was applied.
    public func lookup(_ key: StatusCacheKey, now: Int64) -> (entry: StatusCacheEntry, remainingMilliseconds: Int)? {
        var copies = Copies()
        return lookup(key, now: now, copies: &copies)
    }

    /// `lookup`, answered from the worker's `copies` while nothing of the batch was
    /// invalidated since the copy was taken (two atomic loads, no lock).
    public func lookup(_ key: StatusCacheKey, now: Int64, copies: inout Copies) -> (entry: StatusCacheEntry, remainingMilliseconds: Int)? {
        guard catchUp() else { return nil }
        let everythingNow = everything.load(ordering: .acquiring)
        if let copy = copies.byKey[key] {
            if copy.everythingGeneration == everythingNow, stripes[copy.stripe].value.load(ordering: .acquiring) == copy.stripeGeneration,
                let remaining = copy.entry.remainingMilliseconds(now: now), remaining > 0
            {
                answered.add(1, ordering: .relaxed)
                return (copy.entry, remaining)
            }
            copies.forget(key)
        }
        // The generations are read before the entry: an invalidation after that moves them.
        let stripe = Self.stripe(tenantID: key.tenantID, batchID: key.batchID)
        let stripeGeneration = stripes[stripe].value.load(ordering: .acquiring)
        guard let found = entries.withLock({ $0.lookup(key, now: now) }) else { return nil }
        answered.add(1, ordering: .relaxed)
        copies.remember(
            key, Copies.Copy(entry: found.entry, stripe: stripe, stripeGeneration: stripeGeneration, everythingGeneration: everythingNow))
        return found
    }

    private static func stripe(tenantID: String, batchID: String) -> Int {
        var hasher = Hasher()
        hasher.combine(tenantID)
        hasher.combine(batchID)
        return Int(UInt(bitPattern: hasher.finalize()) % 1024)
    }

    /// Drops what `invalidation` names and moves the generations workers' copies are
    /// checked against, after the drop and under the same lock.
    private func invalidate(_ invalidation: StatusInvalidation) {
        entries.withLock { state in
            state.apply(invalidation)
            if case .batch(let batch) = invalidation {
                stripes[Self.stripe(tenantID: batch.tenantID, batchID: batch.batchID)].value.add(1, ordering: .releasing)
            } else {
                everything.add(1, ordering: .releasing)
            }
        }
    }

    /// Taken before reading an entry from Redis, given back to `keep`; nil while not
    /// subscribed (nothing read then is kept).
    public func ticket() -> Int? {
        guard catchUp() else { return nil }
        return entries.withLock { $0.generation }
    }

    /// Keeps an entry read from Redis after `ticket` was taken, unless an
    /// invalidation came in between (or the subscription dropped).
    public func keep(_ key: StatusCacheKey, _ entry: StatusCacheEntry, ticket: Int) {
        guard catchUp() else { return }
        entries.withLock { $0.keep(key, entry, ticket: ticket) }
    }

    /// Applies an invalidation made in this process at once (its message, which
    /// comes back through the subscription too, then finds nothing to drop).
    public func apply(_ invalidation: StatusInvalidation) {
        invalidate(invalidation)
    }

    /// Entries kept now and their bytes (for tests and `/metrics`).
    public var size: (entries: Int, bytes: Int) {
        entries.withLock { state in (state.byBatch.values.reduce(0) { $0 + $1.count }, state.bytes) }
    }

    /// Housekeeping, a few times a second: subscribes when not subscribed (dropping
    /// everything kept), else applies what arrived, so a quiet process's socket
    /// never fills up.
    public func maintain() {
        if isSubscribed {
            // The pong comes back through the subscription, among the messages, as proof of life.
            guard drain() else { return }
            feed.withLock { connection in
                guard descriptor.load(ordering: .acquiring) >= 0, (try? connection.post(["PING"])) == nil else { return }
                unsubscribe(connection)
            }
            return
        }
        feed.withLock { connection in
            guard descriptor.load(ordering: .acquiring) < 0 else { return }
            connection.disconnect()
            guard case .array(let parts)? = try? connection.command(["SUBSCRIBE", StatusInvalidation.channel]), parts.count == 3,
                parts[0].string == "subscribe", let fd = connection.fileDescriptor
            else {
                connection.disconnect()
                return
            }
            let copy = dup(fd)
            guard copy >= 0 else {
                connection.disconnect()
                return
            }
            invalidate(.all)
            lastHeard.store(SystemClock.monotonicMilliseconds(), ordering: .releasing)
            descriptor.store(copy, ordering: .releasing)
        }
    }

    /// Dropped (Redis went away): whatever it would still have said is lost. Under the feed's lock.
    private func unsubscribe(_ connection: RedisConnection) {
        let fd = descriptor.exchange(-1, ordering: .acquiringAndReleasing)
        invalidate(.all)
        if fd >= 0 { close(fd) }
        connection.disconnect()
    }

    /// Applies what has arrived; false when not subscribed.
    private func catchUp() -> Bool {
        let fd = descriptor.load(ordering: .acquiring)
        guard fd >= 0 else { return false }
        if ReadableWait.wait(fd: fd, timeoutMilliseconds: 0) == .readable, !drain() { return false }
        guard SystemClock.monotonicMilliseconds() - lastHeard.load(ordering: .acquiring) <= Self.silenceMilliseconds else {
            invalidate(.all)
            return false
        }
        return true
    }

    private func drain() -> Bool {
        feed.withLock { connection in
            let fd = descriptor.load(ordering: .acquiring)
            guard fd >= 0 else { return false }
            while ReadableWait.wait(fd: fd, timeoutMilliseconds: 0) == .readable {
                guard let replies = try? connection.readArrived() else {
                    unsubscribe(connection)
                    return false
                }
                if !replies.isEmpty { lastHeard.store(SystemClock.monotonicMilliseconds(), ordering: .releasing) }
                for reply in replies {
                    guard case .array(let parts) = reply, parts.count == 3, parts[0].string == "message", case .bulk(let message) = parts[2]
                    else { continue }
                    let invalidation = StatusInvalidation(message: message)
                    invalidate(invalidation)
                }
            }
            return true
        }
    }
}
