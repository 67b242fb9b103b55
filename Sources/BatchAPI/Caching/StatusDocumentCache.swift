public import BatchCache
public import BatchModel
public import BatchStore
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// Serves status documents (native, Check, Talonic) through the Redis cache.
///
/// A hit is this process's mirrored copy (`StatusCacheMirror`: no round trip), or
/// one Redis round trip (value and remaining TTL together). On a miss
/// one request takes the rebuild lock, builds from SQLite and stores the entry
/// with the batch's version; the others wait briefly for it instead of all
/// querying SQLite (no stampede). Redis down, slow or with invalidations still
/// pending: the document comes from SQLite, marked BYPASS, never an error.
public enum StatusDocumentCache {
    public enum Outcome: String, Sendable {
        case hit = "HIT"
        case miss = "MISS"
        case bypass = "BYPASS"
    }

    /// A document built from SQLite: its body (without per-request parts), and
    /// the batch's version and state (which choose the TTL).
    public struct Built: Sendable {
        public var body: [UInt8]
        public var version: Int
        public var state: BatchState

        public init(body: [UInt8], version: Int, state: BatchState) {
            self.body = body
            self.version = version
            self.state = state
        }
    }

    /// What to answer with: the stored body, the TTL it was written with and the
    /// whole seconds it has left (never more than the TTL).
    public struct Served: Sendable {
        public var body: [UInt8]
        public var ttl: Int
        public var remaining: Int
        public var outcome: Outcome

        /// A JSON answer's headers with these, in one list sized for what the
        /// pipeline adds on the way out (request id, rate-limit figures).
        public var responseHeaders: [(name: String, value: String)] {
            // `HTTPResponse.jsonHeaders` with these two, without a list made to pass them.
            var headers: [(name: String, value: String)] = []
            headers.reserveCapacity(10)
            headers.append(("Content-Type", HTTPResponse.jsonContentType))
            headers.append(("X-Cache", outcome.rawValue))
            headers.append(("Cache-Control", Self.cacheControl(maxAge: remaining)))
            return headers
        }

        /// `private, max-age=N`; the values up to the default TTLs are made once
        /// (every cached answer carries one).
        static func cacheControl(maxAge: Int) -> String {
            maxAge >= 0 && maxAge < madeCacheControls.count ? madeCacheControls[maxAge] : "private, max-age=\(maxAge)"
        }

        private static let madeCacheControls = (0...CacheSettings.finishedDefault).map { "private, max-age=\($0)" }
    }

    /// How often a request waiting for another one's rebuild looks again: soon at
    /// first, then less often (two hundred waiters polling every 2 ms were load enough,
    /// on two cores, to starve the one building).
    static let rebuildPollMicroseconds: (first: UInt32, most: UInt32) = (2_000, 25_000)

    /// The document for `key`, or nil when `build` finds no such batch (not cached).
    public static func serve(
        _ context: RequestContext, key: StatusCacheKey, build: (any StoreConnection) throws(StoreError) -> Built?
    ) throws(APIError) -> Served? {
        let resources = context.resources
        let cache = resources.statusCache
        guard let redis = resources.redis else { return try bypass(context, build) }
        if resources.invalidator.hasPending, !resources.invalidator.replay(redis) { return try bypass(context, build) }
        if resources.cacheSettingsNow().isOff(key.kind, tenantID: key.tenantID) { return try bypass(context, build) }
        let first: StatusCache.Read
        let mirror = resources.invalidator.mirror
        var ticket: Int?
        do throws(CacheError) {
            if let prefetched = context.prefetched, prefetched.key == key {
                first = try cache.read(from: prefetched.reply)
            } else if let mirror {
                if let kept = mirror.lookup(key, now: Timestamp.now().milliseconds, copies: &resources.statusMirrorCopies) {
                    return hit(context, kept.entry, kept.remainingMilliseconds)
                }
                ticket = mirror.ticket()
                first = try cache.read(from: cache.plainRead(redis, key))
            } else {
                first = try cache.read(redis, key)
            }
        } catch {
            context.logger.debug("cache read failed", metadata: ["error": "\(error)"])
            return try bypass(context, build)
        }
        switch first {
        case .hit(let entry, let milliseconds):
            if let mirror, let ticket { mirror.keep(key, entry, ticket: ticket) }
            return hit(context, entry, milliseconds)
        case .miss(rebuild: true):
            return try rebuild(context, redis, key, build)
        case .miss(rebuild: false):
            // Someone else is rebuilding this entry: wait for it rather than query the store
            // too, as long as its lock lasts (a holder that died frees it then, and the
            // first to look again rebuilds); the deadline only guards against a lock
            // that outlives its time.
            let deadline = SystemClock.monotonicMilliseconds() + Int64(cache.lockMilliseconds) * 2
            var pause = rebuildPollMicroseconds.first
            while SystemClock.monotonicMilliseconds() < deadline {
                usleep(pause)
                pause = min(pause * 2, rebuildPollMicroseconds.most)
                switch try? cache.read(redis, key) {
                case .hit(let entry, let milliseconds)?: return hit(context, entry, milliseconds)
                case .miss(rebuild: true)?: return try rebuild(context, redis, key, build)
                case .miss(rebuild: false)?: continue
                case nil: return try bypass(context, build)
                }
            }
            return try rebuild(context, redis, key, build)
        }
    }

    static func hit(_ context: RequestContext, _ entry: StatusCacheEntry, _ milliseconds: Int) -> Served {
        context.resources.metrics.recordCache(.hit)
        let remaining = min(entry.ttlSeconds, (milliseconds + 999) / 1000)
        return Served(body: entry.body, ttl: entry.ttlSeconds, remaining: remaining, outcome: .hit)
    }

    static func rebuild(
        _ context: RequestContext, _ redis: RedisConnection, _ key: StatusCacheKey, _ build: (any StoreConnection) throws(StoreError) -> Built?
    ) throws(APIError) -> Served? {
        let resources = context.resources
        let built: Built?
        do {
            built = try fromStore(context, build)
        } catch {
            try? resources.statusCache.unlock(redis, key)
            throw error
        }
        guard let built else {
            try? resources.statusCache.unlock(redis, key)
            return nil
        }
        let ttl = resources.cacheSettingsNow().ttl(key.kind, state: built.state, tenantID: key.tenantID)
        guard ttl > 0 else {
            try? resources.statusCache.unlock(redis, key)
            resources.metrics.recordCache(.bypass)
            return Served(body: built.body, ttl: 0, remaining: 0, outcome: .bypass)
        }
        do throws(CacheError) {
            try resources.statusCache.write(redis, key, StatusCacheEntry(version: built.version, ttlSeconds: ttl, body: built.body))
        } catch {
            resources.metrics.recordCache(.bypass)
            return Served(body: built.body, ttl: 0, remaining: 0, outcome: .bypass)
        }
        resources.metrics.recordCache(.miss)
        return Served(body: built.body, ttl: ttl, remaining: ttl, outcome: .miss)
    }

    static func bypass(_ context: RequestContext, _ build: (any StoreConnection) throws(StoreError) -> Built?) throws(APIError) -> Served? {
        guard let built = try fromStore(context, build) else { return nil }
        context.resources.metrics.recordCache(.bypass)
        return Served(body: built.body, ttl: 0, remaining: 0, outcome: .bypass)
    }

    static func fromStore(_ context: RequestContext, _ build: (any StoreConnection) throws(StoreError) -> Built?) throws(APIError) -> Built? {
        let delay = context.resources.service.statusBuildDelayMilliseconds
        if delay > 0 { usleep(UInt32(delay) * 1000) }
        context.resources.metrics.recordStatusBuild()
        return try context.withStore("get_batch_status", build)
    }
}
