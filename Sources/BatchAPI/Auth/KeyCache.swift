public import BatchModel

/// A per-thread cache of key lookups, so a hot client costs no SQLite query per
/// request. Entries live `ttlMilliseconds` (default 2 s): a revoked key stops
/// working within that time on every thread, well inside the 5 s promise.
/// Unknown keys are cached too, so guessing keys cannot hammer the database.
/// Entries are keyed by the presented key itself (held in this process's memory
/// only, as every request carries it anyway), so a hit costs no hashing.
public final class KeyCache {
    public let ttlMilliseconds: Int64
    public let capacity: Int
    private var entries: [String: (principal: Principal?, expiresAt: Int64)] = [:]

    public init(ttlMilliseconds: Int64 = 2000, capacity: Int = 10_000) {
        self.ttlMilliseconds = ttlMilliseconds
        self.capacity = capacity
    }

    /// `.some(principal)` or `.some(nil)` (known bad) when fresh; nil when not cached.
    public func lookup(key: String, now: Int64 = SystemClock.monotonicMilliseconds()) -> Principal?? {
        guard let entry = entries[key] else { return nil }
        if entry.expiresAt <= now {
            entries[key] = nil
            return nil
        }
        return .some(entry.principal)
    }

    public func store(key: String, principal: Principal?, now: Int64 = SystemClock.monotonicMilliseconds()) {
        // Bounded: when full, start over rather than track recency; refills cost one query each.
        if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
        entries[key] = (principal, now + ttlMilliseconds)
    }

    public func removeAll() { entries.removeAll() }

}
