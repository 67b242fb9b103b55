/// An organization: the unit that owns batches, media, cache entries and a
/// rate-limit budget. Nothing of one tenant is ever visible to another.
public struct Tenant: Sendable, Equatable {
    public var id: String
    public var name: String
    public var createdAt: Timestamp
    public var rateLimit: RateLimitPolicy
    public var quota: TenantQuota

    public init(id: String, name: String, createdAt: Timestamp, rateLimit: RateLimitPolicy = .default, quota: TenantQuota = .unlimited) {
        self.id = id
        self.name = name
        self.createdAt = createdAt
        self.rateLimit = rateLimit
        self.quota = quota
    }

    /// Tenant names are what admins type: 1–100 characters, no control characters.
    public static func nameProblem(_ name: String) -> String? {
        if name.isEmpty { return "name must not be empty" }
        if name.unicodeScalars.count > 100 { return "name must be at most 100 characters" }
        if name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            return "name must not contain control characters"
        }
        return nil
    }
}

/// How many requests a tenant may make: `limit` per `windowSeconds`, with
/// `burst` requests allowed at once (GCRA). Writes may have their own lower limit.
public struct RateLimitPolicy: Sendable, Hashable {
    public var limit: Int
    public var windowSeconds: Int
    public var burst: Int
    public var writeLimit: Int?

    public static let `default` = RateLimitPolicy(limit: 1000, windowSeconds: 3600, burst: 100, writeLimit: nil)

    public init(limit: Int, windowSeconds: Int, burst: Int, writeLimit: Int?) {
        self.limit = limit
        self.windowSeconds = windowSeconds
        self.burst = burst
        self.writeLimit = writeLimit
    }

    /// Why a policy cannot be used, or nil when it can.
    public var problem: String? {
        if limit < 1 || limit > 100_000_000 { return "limit must be between 1 and 100000000" }
        if windowSeconds < 1 || windowSeconds > 86_400 * 31 { return "window_seconds must be between 1 and 2678400" }
        // Each bound on its own (the contract can state no relation between fields): a
        // burst above the limit lets a quiet tenant spend it at once, and a write limit
        // above the limit is held by the limit anyway.
        if burst < 1 || burst > 100_000_000 { return "burst must be between 1 and 100000000" }
        if let writeLimit, writeLimit < 1 || writeLimit > 100_000_000 { return "write_limit must be between 1 and 100000000" }
        return nil
    }

    /// The IETF `RateLimit-Policy` value, e.g. `"default";q=1000;w=3600`.
    public var policyHeader: String { "\"default\";q=\(limit);w=\(windowSeconds)" }
}

/// Upper bounds on what a tenant may store; nil means no bound.
public struct TenantQuota: Sendable, Equatable {
    public var maxBatches: Int?
    public var maxItems: Int?
    public var maxBytes: Int64?

    public static let unlimited = TenantQuota(maxBatches: nil, maxItems: nil, maxBytes: nil)

    public init(maxBatches: Int?, maxItems: Int?, maxBytes: Int64?) {
        self.maxBatches = maxBatches
        self.maxItems = maxItems
        self.maxBytes = maxBytes
    }
}
