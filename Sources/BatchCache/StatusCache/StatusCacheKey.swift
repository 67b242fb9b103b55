public import BatchModel

/// Where one cached status document lives in Redis: per tenant, batch, kind of
/// document and normalized query, so parameter order and spelled-out defaults
/// never split the cache and no tenant can reach another's entries.
public struct StatusCacheKey: Sendable, Equatable {
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

    /// The entry: `bd:c:<tenant>:<batch>:<kind>:<query>`.
    public var entry: String { "bd:c:\(tenantID):\(batchID):\(kind.rawValue):\(query)" }
    /// Held by the one request rebuilding a missing entry.
    public var lock: String { "bd:cl:\(tenantID):\(batchID):\(kind.rawValue):\(query)" }
    /// Every entry key of the batch, for invalidation.
    public var index: String { Self.index(batchID: batchID) }
    /// The lowest batch version an entry may still be written with.
    public var minimumVersion: String { Self.minimumVersion(batchID: batchID) }

    static func index(batchID: String) -> String { "bd:ci:\(batchID)" }
    static func minimumVersion(batchID: String) -> String { "bd:cv:\(batchID)" }
    static let statistics = "bd:cstats"
}
