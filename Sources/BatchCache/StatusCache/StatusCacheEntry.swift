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

    /// Nil for bytes that were not written by `encoded`.
    public init?(decoding bytes: [UInt8]) {
        guard let newline = bytes.firstIndex(of: 0x0A), newline <= 64 else { return nil }
        let header = String(decoding: bytes[..<newline], as: UTF8.self).split(separator: " ", omittingEmptySubsequences: false)
        guard header.count == 2 || header.count == 3, let version = Int(header[0]), let ttl = Int(header[1]), ttl >= 0 else { return nil }
        var expires: Int64?
        if header.count == 3 {
            guard let value = Int64(header[2]) else { return nil }
            expires = value
        }
        self.init(version: version, ttlSeconds: ttl, body: Array(bytes[(newline + 1)...]), expiresAtMilliseconds: expires)
    }

    /// Milliseconds left at `now` (unix ms), never above the TTL; nil when the entry
    /// does not say when it expires.
    public func remainingMilliseconds(now: Int64) -> Int? {
        expiresAtMilliseconds.map { Int(max(0, min(Int64(ttlSeconds) * 1000, $0 - now))) }
    }
}
