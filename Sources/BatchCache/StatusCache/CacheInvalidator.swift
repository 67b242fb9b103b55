public import BatchModel
import Synchronization

/// Invalidates cached status documents after state changes, shared by every
/// worker and the scheduler of one process.
///
/// An invalidation that cannot reach Redis is not dropped: it is kept here and
/// replayed before this process reads the cache again, so a Redis that comes
/// back (with entries written before the change) never serves a stale document.
/// While anything is pending, readers bypass the cache. Past `maxPending`
/// distinct batches, the whole cache is flushed instead.
public final class CacheInvalidator: Sendable {
    private struct Pending {
        var batches: [BatchIdentity: Int?] = [:]
        var flushAll = false
    }

    private let pending = Mutex(Pending())
    /// Mirrors "anything pending" so the per-request check is one atomic load, not a lock.
    private let anyPending = Atomic<Bool>(false)
    private let cache: StatusCache
    public let maxPending: Int
    /// This process's copies of entries (nil: every read goes to Redis). An
    /// invalidation made here drops its copies at once, before Redis is told.
    public let mirror: StatusCacheMirror?

    public init(cache: StatusCache = StatusCache(), maxPending: Int = 10_000, mirror: StatusCacheMirror? = nil) {
        self.cache = cache
        self.maxPending = maxPending
        self.mirror = mirror
    }

    /// True while some invalidation still has to reach Redis.
    public var hasPending: Bool { anyPending.load(ordering: .acquiring) }

    /// Invalidates a batch's entries (version nil: delete without a floor, e.g. the
    /// batch was deleted). Never throws: a failure is kept for replay.
    public func invalidate(_ redis: RedisConnection?, batch: BatchIdentity, version: Int?) {
        mirror?.apply(.batch(batch))
        if let redis, !hasPending, (try? cache.invalidate(redis, batch: batch, version: version)) != nil { return }
        remember(batch: batch, version: version)
        if let redis { _ = replay(redis) }
    }

    /// Replays what is pending; true when nothing is left pending. The flag
    /// stays up until the replay has reached Redis, so other workers keep
    /// bypassing the cache meanwhile (a replay in progress answers false).
    public func replay(_ redis: RedisConnection) -> Bool {
        let work = pending.withLock { state -> Pending in
            defer { state = Pending() }
            return state
        }
        if work.batches.isEmpty && !work.flushAll { return !hasPending }
        do throws(CacheError) {
            if work.flushAll {
                try cache.flush(redis)
            }
            for (batch, version) in work.batches {
                try cache.invalidate(redis, batch: batch, version: version)
            }
            return pending.withLock { state in
                let empty = state.batches.isEmpty && !state.flushAll
                if empty { anyPending.store(false, ordering: .releasing) }
                return empty
            }
        } catch {
            // Put it all back (merged with anything added meanwhile) for the next try.
            pending.withLock { state in
                state.flushAll = state.flushAll || work.flushAll
                for (batch, version) in work.batches { merge(&state, batch: batch, version: version) }
            }
            return false
        }
    }

    private func remember(batch: BatchIdentity, version: Int?) {
        pending.withLock { state in
            merge(&state, batch: batch, version: version)
            anyPending.store(true, ordering: .releasing)
        }
    }

    private func merge(_ state: inout Pending, batch: BatchIdentity, version: Int?) {
        if state.flushAll { return }
        let existing = state.batches[batch] ?? nil
        state.batches.updateValue([existing, version].compactMap { $0 }.max(), forKey: batch)
        if state.batches.count > maxPending {
            state.batches = [:]
            state.flushAll = true
        }
    }
}
