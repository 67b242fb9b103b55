import BatchCodecs

/// What a key may do: clients use the batch API; admins may also call `/v1/admin/*`.
public enum KeyRole: String, Sendable, CaseIterable, Codable {
    /// Batches and media of its tenant.
    case client
    /// A tenant's own administrator: what a client may, plus its tenant's keys, its
    /// limits (read-only) and its cache flushes.
    case admin
    /// The server's operator: every tenant, every key, server settings.
    case `operator`

    /// Whether a key of this role may use an endpoint that needs `required`.
    public func covers(_ required: KeyRole) -> Bool {
        switch (self, required) {
        case (.operator, _), (.admin, .admin), (.admin, .client), (.client, .client): return true
        default: return false
        }
    }
}

/// An API key as stored: never the secret itself, only its SHA-256 and a short
/// visible prefix that lets people tell keys apart in listings.
public struct APIKeyRecord: Sendable, Equatable {
    public var id: String
    public var tenantID: String
    public var role: KeyRole
    public var name: String
    public var prefix: String
    public var createdAt: Timestamp
    public var revokedAt: Timestamp?

    public init(id: String, tenantID: String, role: KeyRole, name: String, prefix: String, createdAt: Timestamp, revokedAt: Timestamp?) {
        self.id = id
        self.tenantID = tenantID
        self.role = role
        self.name = name
        self.prefix = prefix
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }

    public var isRevoked: Bool { revokedAt != nil }
}

/// A freshly minted secret. It exists only in memory until it is shown once.
public struct APIKeySecret: Sendable, Equatable {
    /// Every key starts with this, so leaked keys are easy to grep for.
    public static let marker = "bd_"
    /// How many characters after the marker are shown in listings.
    public static let visiblePrefixLength = 8

    /// The full key: `bd_` and 32 base32 characters (160 random bits).
    public let value: String

    public init(value: String) { self.value = value }

    public static func generate() -> APIKeySecret {
        var generator = SystemRandomNumberGenerator()
        var bytes = [UInt8](repeating: 0, count: 20)
        for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255, using: &generator) }
        return APIKeySecret(value: marker + Base32.encode(bytes))
    }

    /// The prefix stored beside the hash, e.g. `bd_k3j9x2ab`.
    public var visiblePrefix: String { Self.visiblePrefix(of: value) }

    public static func visiblePrefix(of key: String) -> String {
        String(key.prefix(marker.count + visiblePrefixLength))
    }

    /// The hex SHA-256 under which a key is stored and looked up.
    public static func hash(_ key: String) -> String { SHA256.hexHash(Array(key.utf8)) }

    public var hash: String { Self.hash(value) }
}
