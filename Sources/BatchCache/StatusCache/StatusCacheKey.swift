public import BatchModel

/// Where one cached status document lives in Redis: per tenant, batch, kind of
/// document and normalized query, so parameter order and spelled-out defaults
/// never split the cache and no tenant can reach another's entries.
public struct StatusCacheKey: Sendable, Hashable {
    public var tenantID: String
    public var batchID: String
    public var kind: CachedDocumentKind
    /// The query in canonical form (the caller's options rendered with every
    /// parameter at a fixed place); empty for documents without options.
    public var query: String

    public init(tenantID: String, batchID: String, kind: CachedDocumentKind, query: String = "") {
        self.tenantID = tenantID
        self.batchID = batchID
        self.kind = kind
        self.query = query
    }

    /// The entry: `bd:{<tenant>}:c:<batch>:<kind>:<query>`. Every key of a tenant
    /// has the tenant as its hash tag (`{…}`): in a Redis Cluster they share a
    /// slot, so each script's keys are on one node.
    public var entry: String { key("c:") }
    /// Held by the one request rebuilding a missing entry.
    public var lock: String { key("cl:") }

    /// `bd:{<tenant>}:<part><batch>:<kind>:<query>`, built in one allocation (every
    /// cached read makes one; interpolation made several).
    private func key(_ part: String) -> String {
        var key = ""
        key.reserveCapacity(tenantID.utf8.count + batchID.utf8.count + query.utf8.count + 32)
        key += "bd:{"
        key += tenantID
        key += "}:"
        key += part
        key += batchID
        key += ":"
        key += kind.rawValue
        key += ":"
        key += query
        return key
    }
    /// Every entry key of the batch, for invalidation.
    public var index: String { Self.index(BatchIdentity(tenantID: tenantID, batchID: batchID)) }
    /// The lowest batch version an entry may still be written with.
    public var minimumVersion: String { Self.minimumVersion(BatchIdentity(tenantID: tenantID, batchID: batchID)) }

    /// `bd:{<tenant>}:`: the start of every key of the tenant.
    public static func prefix(_ tenantID: String) -> String { "bd:{\(tenantID)}:" }
    static func index(_ batch: BatchIdentity) -> String { "\(prefix(batch.tenantID))ci:\(batch.batchID)" }
    static func minimumVersion(_ batch: BatchIdentity) -> String { "\(prefix(batch.tenantID))cv:\(batch.batchID)" }
    /// Shared by every process and tenant (one key, one slot).
    static let statistics = "bd:cstats"
}
