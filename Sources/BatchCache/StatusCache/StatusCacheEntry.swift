/// A cached document as stored in Redis: `<version> <ttl> <expires>\n<body>`. The
/// batch version orders writers; the TTL is the one the entry was written with
/// (`cache_ttl`); `expires` is when Redis drops it (unix ms, stamped by the writer),
/// so a reader learns the time left from a plain `GET` (no `PTTL`, no script); the
/// body is the document without its per-request parts. Entries written before the
/// expiry was stored (`<version> <ttl>`) still read, their time left from `PTTL`.
public struct StatusCacheEntry: Sendable, Equatable {
    public var version: Int
    public var ttlSeconds: Int
    public var body: [UInt8]
    /// Unix milliseconds; nil until written (and in entries of the older form).
    public var expiresAtMilliseconds: Int64?

    public init(version: Int, ttlSeconds: Int, body: [UInt8], expiresAtMilliseconds: Int64? = nil) {
        self.version = version
        self.ttlSeconds = ttlSeconds
        self.body = body
        self.expiresAtMilliseconds = expiresAtMilliseconds
    }

    /// The document and its TTL are the entry; when it expires is how it travels.
    public static func == (a: StatusCacheEntry, b: StatusCacheEntry) -> Bool {
        a.version == b.version && a.ttlSeconds == b.ttlSeconds && a.body == b.body
    }

    public var encoded: [UInt8] {
        let header = expiresAtMilliseconds.map { "\(version) \(ttlSeconds) \($0)\n" } ?? "\(version) \(ttlSeconds)\n"
        return Array(header.utf8) + body
    }

    /// Nil for bytes that were not written by `encoded`. Reads the header's numbers
    /// straight from the bytes (every cached answer decodes one entry).
    public init?(decoding bytes: [UInt8]) {
        guard let newline = bytes.prefix(65).firstIndex(of: 0x0A) else { return nil }
        var numbers: (Int64, Int64, Int64) = (0, 0, 0)
        var count = 0
        var start = 0
        while start <= newline {
            let end = bytes[start..<newline].firstIndex(of: 0x20) ?? newline
            guard count < 3, let number = Self.decimal(bytes[start..<end]) else { return nil }
            switch count {
            case 0: numbers.0 = number
            case 1: numbers.1 = number
            default: numbers.2 = number
            }
            count += 1
            start = end + 1
        }
        guard count >= 2, numbers.1 <= Int64(Int32.max) else { return nil }
        self.init(
            version: Int(numbers.0), ttlSeconds: Int(numbers.1), body: Array(bytes[(newline + 1)...]),
            expiresAtMilliseconds: count == 3 ? numbers.2 : nil)
    }

    /// Whether `bytes` look like an entry that says when it expires (three numbers
    /// before the newline), without decoding it: the reader decodes it once, later
    /// (one that then fails to decode is answered from the store).
    public static func isStamped(_ bytes: [UInt8]) -> Bool {
        guard let newline = bytes.prefix(65).firstIndex(of: 0x0A) else { return false }
        return bytes[..<newline].reduce(0) { $0 + ($1 == 0x20 ? 1 : 0) } == 2
    }

    /// A non-negative decimal of 1 to 18 digits (no sign, no spaces).
    static func decimal(_ digits: ArraySlice<UInt8>) -> Int64? {
        guard !digits.isEmpty, digits.count <= 18 else { return nil }
        var value: Int64 = 0
        for digit in digits {
            guard digit >= 0x30 && digit <= 0x39 else { return nil }
            value = value * 10 + Int64(digit - 0x30)
        }
        return value
    }

    /// Milliseconds left at `now` (unix ms), never above the TTL; nil when the entry
    /// does not say when it expires.
    public func remainingMilliseconds(now: Int64) -> Int? {
        expiresAtMilliseconds.map { Int(max(0, min(Int64(ttlSeconds) * 1000, $0 - now))) }
    }
}
