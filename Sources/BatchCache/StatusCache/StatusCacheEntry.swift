/// A cached document as stored in Redis: `<version> <ttl>\n<body>`. The batch
/// version orders writers; the TTL is the one the entry was written with
/// (`cache_ttl`); the body is the document without its per-request parts.
public struct StatusCacheEntry: Sendable, Equatable {
    public var version: Int
    public var ttlSeconds: Int
    public var body: [UInt8]

    public init(version: Int, ttlSeconds: Int, body: [UInt8]) {
        self.version = version
        self.ttlSeconds = ttlSeconds
        self.body = body
    }

    public var encoded: [UInt8] { Array("\(version) \(ttlSeconds)\n".utf8) + body }

    /// Nil for bytes that were not written by `encoded`.
    public init?(decoding bytes: [UInt8]) {
        guard let newline = bytes.firstIndex(of: 0x0A) else { return nil }
        let header = String(decoding: bytes[..<newline], as: UTF8.self).split(separator: " ")
        guard header.count == 2, let version = Int(header[0]), let ttl = Int(header[1]), ttl >= 0 else { return nil }
        self.init(version: version, ttlSeconds: ttl, body: Array(bytes[(newline + 1)...]))
    }
}
