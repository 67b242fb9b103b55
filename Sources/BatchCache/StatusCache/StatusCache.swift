public import BatchModel

/// Cached status documents in Redis: read with the remaining TTL in one round
/// trip, written only over older versions, invalidated per batch, flushed by
/// admins. Every operation is one Lua script call (atomic, one round trip).
public struct StatusCache: Sendable {
    public enum Read: Sendable, Equatable {
        /// The entry and the milliseconds it has left.
        case hit(StatusCacheEntry, remainingMilliseconds: Int)
        /// No entry; `rebuild` is true for the one caller that took the rebuild
        /// lock, false while another caller is rebuilding it.
        case miss(rebuild: Bool)
    }

    /// KEYS: entry, lock. ARGV: lock ms. The value and its PTTL, or on a miss
    /// whether this caller took the rebuild lock. (Hits and misses are counted in
    /// process and added to Redis once a second: see `addStatistics`.)
    static let readScript = RedisScript(
        name: "status_read",
        source: """
            local v = redis.call('GET', KEYS[1])
            if v then return {v, redis.call('PTTL', KEYS[1])} end
            if redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[1]) then return {false, 1} end
            return {false, 0}
            """)

    /// KEYS: entry, index, minimum version, lock. ARGV: version, ttl ms, value.
    /// Refuses (0) a version below the batch's minimum or below the stored entry's.
    static let writeScript = RedisScript(
        name: "status_write",
        source: """
            local v = tonumber(ARGV[1])
            local minimum = tonumber(redis.call('GET', KEYS[3]) or '')
            if minimum and v < minimum then redis.call('DEL', KEYS[4]) return 0 end
            local current = redis.call('GET', KEYS[1])
            if current then
              local cv = tonumber(string.match(current, '^(%d+) '))
              if cv and cv > v then redis.call('DEL', KEYS[4]) return 0 end
            end
            redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[2])
            redis.call('SADD', KEYS[2], KEYS[1])
            if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[2], ARGV[2]) end
            redis.call('DEL', KEYS[4])
            return 1
            """)

    /// KEYS: index, minimum version. ARGV: version (or '' to delete without a
    /// floor), how long the floor is kept (ms), channel, message. Deletes every entry
    /// of the batch and tells every process (`StatusCacheMirror`).
    static let invalidateScript = RedisScript(
        name: "status_invalidate",
        source: """
            local members = redis.call('SMEMBERS', KEYS[1])
            for i = 1, #members, 500 do
              redis.call('DEL', unpack(members, i, math.min(i + 499, #members)))
            end
            redis.call('DEL', KEYS[1])
            if ARGV[1] ~= '' then
              local current = tonumber(redis.call('GET', KEYS[2]) or '')
              if not current or current < tonumber(ARGV[1]) then redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2]) end
            end
            redis.call('PUBLISH', ARGV[3], ARGV[4])
            return #members
            """)

    /// The version floor of a deleted batch: no document of it is written again.
    /// (Below 2^53, so Lua's numbers hold it exactly.)
    public static let goneVersion = 1 << 52

    /// How long a batch's version floor outlives its invalidation: longer than
    /// any request that read the old state could still be running.
    public static let versionFloorMilliseconds = 300_000

    /// How long a rebuild lock is held at most (a crashed holder frees it then).
    public var lockMilliseconds: Int

    public init(lockMilliseconds: Int = 2000) { self.lockMilliseconds = lockMilliseconds }

    public func read(_ redis: RedisConnection, _ key: StatusCacheKey) throws(CacheError) -> Read {
        try read(from: redis.evaluate([readCall(key)])[0])
    }

    /// The script call of `read`.
    public func readCall(_ key: StatusCacheKey) -> RedisScriptCall {
        RedisScriptCall(Self.readScript, keys: [key.entry, key.lock], arguments: [String(lockMilliseconds)])
    }

    /// Reads the reply of a `readCall`, or of a plain `GET` of the entry that found one
    /// stamped with its expiry (`plainRead`).
    public func read(from reply: RedisReply) throws(CacheError) -> Read {
        if case .bulk(let bytes) = reply, let entry = StatusCacheEntry(decoding: bytes),
            let remaining = entry.remainingMilliseconds(now: Timestamp.now().milliseconds)
        {
            return remaining > 0 ? .hit(entry, remainingMilliseconds: remaining) : .miss(rebuild: false)
        }
        guard case .array(let parts) = reply, parts.count == 2 else {
            if case .error(let text) = reply { throw .reply(text) }
            throw .unexpectedReply("status read: \(reply)")
        }
        switch (parts[0], parts[1]) {
        case (.bulk(let bytes), .integer(let pttl)):
            // An entry that expires between GET and PTTL answers -2: a miss, not an error.
            guard pttl > 0, let entry = StatusCacheEntry(decoding: bytes) else { return .miss(rebuild: false) }
            return .hit(entry, remainingMilliseconds: Int(pttl))
        case (.null, .integer(let locked)):
            return .miss(rebuild: locked == 1)
        default:
            throw .unexpectedReply("status read: \(reply)")
        }
    }

    /// The read of a reader whose rate limit was decided without Redis: a plain `GET`
    /// (one round trip, no script) answers a hit stamped with its expiry; a miss, or an
    /// entry of the older form, goes on to `readCall` (the rebuild lock, `PTTL`).
    public func plainRead(_ redis: RedisConnection, _ key: StatusCacheKey) throws(CacheError) -> RedisReply {
        let reply = try redis.command(["GET", key.entry])
        if case .bulk(let bytes) = reply, StatusCacheEntry.isStamped(bytes) { return reply }
        return try redis.evaluate([readCall(key)])[0]
    }

    /// Stores `entry` unless the batch has moved past its version. Also frees the
    /// rebuild lock. Returns whether it was stored.
    @discardableResult
    public func write(_ redis: RedisConnection, _ key: StatusCacheKey, _ entry: StatusCacheEntry) throws(CacheError) -> Bool {
        var stamped = entry
        stamped.expiresAtMilliseconds = Timestamp.now().milliseconds + Int64(entry.ttlSeconds) * 1000
        let reply = try redis.evaluate(
            Self.writeScript, keys: [key.entry, key.index, key.minimumVersion, key.lock],
            arguments: [String(entry.version), String(entry.ttlSeconds * 1000), String(decoding: stamped.encoded, as: UTF8.self)])
        if case .error(let text) = reply { throw .reply(text) }
        return reply == .integer(1)
    }

    /// Frees a rebuild lock without writing (the document is not to be cached).
    public func unlock(_ redis: RedisConnection, _ key: StatusCacheKey) throws(CacheError) {
        _ = try redis.command(["DEL", key.lock])
    }

    /// Removes every cached document of a batch and, with a version, forbids
    /// writing any document older than it (a slow reader of the old state).
    /// Returns how many entries were removed.
    @discardableResult
    public func invalidate(_ redis: RedisConnection, batch: BatchIdentity, version: Int?) throws(CacheError) -> Int {
        let reply = try redis.evaluate(
            Self.invalidateScript, keys: [StatusCacheKey.index(batch), StatusCacheKey.minimumVersion(batch)],
            arguments: [
                version.map(String.init) ?? "", String(Self.versionFloorMilliseconds), StatusInvalidation.channel,
                StatusInvalidation.batch(batch).message,
            ])
        guard let count = reply.integer else { throw .unexpectedReply("invalidate: \(reply)") }
        try awaitDelivery(redis)
        return Int(count)
    }

    /// One more round trip after a command that published an invalidation. Redis
    /// writes a published message to its subscribers' sockets before it reads the
    /// next command of any client, so once this is answered, every process's mirror
    /// finds the message on its next lookup: the caller may answer its own client,
    /// whose next request (on any node) then sees the change.
    private func awaitDelivery(_ redis: RedisConnection) throws(CacheError) {
        let reply = try redis.command(["PING"])
        guard reply == .status("PONG") else { throw .unexpectedReply("ping: \(reply)") }
    }

    /// Deletes cached documents: of one batch, of one tenant, or all of them.
    /// Returns how many keys were removed.
    @discardableResult
    public func flush(_ redis: RedisConnection, tenantID: String? = nil, batchID: String? = nil) throws(CacheError) -> Int {
        // `{*}` matches any tenant's tag; version floors (`cv:`) stay: they still guard against slow readers.
        let tenant = tenantID.map { StatusCacheKey.prefix($0) } ?? "bd:{*}:"
        let entries = batchID.map { "\(tenant)c:\($0):*" } ?? "\(tenant)c:*"
        let others = batchID.map { ["\(tenant)ci:\($0)", "\(tenant)cl:\($0):*"] } ?? ["\(tenant)ci:*", "\(tenant)cl:*"]
        var removed = 0
        for pattern in [entries] + others {
            try scan(redis, pattern: pattern) { keys throws(CacheError) in
                let count = try unlink(redis, keys)
                if pattern == entries { removed += count }
            }
        }
        let invalidation: StatusInvalidation =
            switch (tenantID, batchID) {
            case (let tenantID?, let batchID?): .batch(BatchIdentity(tenantID: tenantID, batchID: batchID))
            case (let tenantID?, nil): .tenant(tenantID)
            default: .all
            }
        _ = try redis.command(["PUBLISH", StatusInvalidation.channel, invalidation.message])
        try awaitDelivery(redis)
        return removed
    }

    /// Deletes `keys` in one command per hash tag: a Redis Cluster refuses a
    /// command whose keys are in different slots.
    private func unlink(_ redis: RedisConnection, _ keys: [String]) throws(CacheError) -> Int {
        var removed = 0
        for group in Dictionary(grouping: keys, by: Self.hashTag).values {
            removed += Int(try redis.command(["UNLINK"] + group).integer ?? 0)
        }
        return removed
    }

    /// The part of `key` Redis Cluster hashes: the text between the first `{` and
    /// the next `}` when it is not empty, else the whole key.
    static func hashTag(_ key: String) -> Substring {
        guard let open = key.firstIndex(of: "{"), let close = key[key.index(after: open)...].firstIndex(of: "}"),
            close > key.index(after: open)
        else { return Substring(key) }
        return key[key.index(after: open)..<close]
    }

    /// Figures for `GET /v1/admin/cache`: hits and misses (of every process, as
    /// each last added them), entries now cached (all, or one tenant's), and
    /// Redis's memory use.
    public struct Statistics: Sendable, Equatable {
        public var hits: Int
        public var misses: Int
        public var entries: Int
        public var memoryBytes: Int
    }

    public func statistics(_ redis: RedisConnection, tenantID: String? = nil) throws(CacheError) -> Statistics {
        let replies = try redis.pipeline([["HMGET", StatusCacheKey.statistics, "hits", "misses"], ["INFO", "memory"]])
        guard case .array(let counts) = replies[0], counts.count == 2 else { throw .unexpectedReply("statistics: \(replies[0])") }
        let hits = counts[0].string.flatMap { Int($0) } ?? 0
        let misses = counts[1].string.flatMap { Int($0) } ?? 0
        var memory = 0
        for line in (replies[1].string ?? "").split(whereSeparator: \.isNewline) where line.hasPrefix("used_memory:") {
            memory = Int(line.dropFirst("used_memory:".count)) ?? 0
        }
        var entries = 0
        try scan(redis, pattern: (tenantID.map { StatusCacheKey.prefix($0) } ?? "bd:{*}:") + "c:*") { keys throws(CacheError) in entries += keys.count
        }
        return Statistics(hits: hits, misses: misses, entries: entries, memoryBytes: memory)
    }

    /// Adds one process's hits and misses since its last call (batchd does it once a second).
    public func addStatistics(_ redis: RedisConnection, hits: Int, misses: Int) throws(CacheError) {
        guard hits > 0 || misses > 0 else { return }
        _ = try redis.pipeline([
            ["HINCRBY", StatusCacheKey.statistics, "hits", String(hits)], ["HINCRBY", StatusCacheKey.statistics, "misses", String(misses)],
        ])
    }

    private func scan(_ redis: RedisConnection, pattern: String, _ body: ([String]) throws(CacheError) -> Void) throws(CacheError) {
        var cursor = "0"
        repeat {
            let reply = try redis.command(["SCAN", cursor, "MATCH", pattern, "COUNT", "1000"])
            guard case .array(let parts) = reply, parts.count == 2, let next = parts[0].string, case .array(let found) = parts[1] else {
                throw .unexpectedReply("scan: \(reply)")
            }
            let keys = found.compactMap(\.string)
            if !keys.isEmpty { try body(keys) }
            cursor = next
        } while cursor != "0"
    }
}
