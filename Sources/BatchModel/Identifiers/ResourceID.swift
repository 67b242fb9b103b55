import BatchCodecs

/// Identifiers of batches (`batch-…`), items (`job-…`), media (`vec-…`),
/// tenants (`ten-…`), keys (`key-…`) and lease owners (`lease-…`): a prefix and lowercase base32 from a
/// cryptographic random source.
public enum ResourceID {
    /// The longest id a client may send; longer ones are rejected before any lookup.
    public static let maxLength = 64

    /// The kinds of id batchd mints, with their wire prefixes.
    public enum Kind: String, Sendable, CaseIterable {
        case batch = "batch"
        case item = "job"
        case media = "vec"
        case tenant = "ten"
        case key = "key"
        /// A scheduler process: the owner prefix of its leases.
        case lease = "lease"
    }

    /// Why a client-supplied id is not acceptable.
    public enum Problem: Sendable, Equatable {
        case empty
        case tooLong
        case invalidCharacters

        /// The sentence spec 000 puts in `details.error`.
        public var explanation: String {
            switch self {
            case .empty: return "Batch ID must not be empty"
            case .tooLong: return "Batch ID must be at most \(ResourceID.maxLength) characters"
            case .invalidCharacters: return "Batch ID must be alphanumeric with hyphens only"
            }
        }
    }

    /// Checks the shape of an id a client sent: ASCII letters, digits and hyphens,
    /// 1 to `maxLength` characters. Says nothing about whether it exists.
    public static func problem(with id: String) -> Problem? {
        let utf8 = id.utf8
        if utf8.isEmpty { return .empty }
        for byte in utf8 {
            let ok =
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: "-")
            if !ok { return .invalidCharacters }
        }
        if utf8.count > maxLength { return .tooLong }
        return nil
    }

    /// A new id: the kind's prefix, a hyphen, and 16 base32 characters (80 random bits).
    public static func make(_ kind: Kind) -> String {
        var generator = SystemRandomNumberGenerator()
        return make(kind, using: &generator)
    }

    public static func make<G: RandomNumberGenerator>(_ kind: Kind, using generator: inout G) -> String {
        var bytes = [UInt8](repeating: 0, count: 10)
        for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255, using: &generator) }
        return kind.rawValue + "-" + Base32.encode(bytes)
    }
}
