/// The batchd processes sharing one Redis, as `/readyz` lists them: each process
/// announces itself every few seconds (`CacheHousekeeping`), and a node not heard
/// from for `staleMilliseconds` is no longer listed. One Redis hash, `bd:nodes`
/// (server-wide, like the cache's figures: it belongs to no tenant), a field per node;
/// fields silent for an hour are removed by the next reader, so the hash stays small.
public struct NodeRegistry: Sendable {
    public static let key = "bd:nodes"
    /// Three missed announcements.
    public static let staleMilliseconds: Int64 = 15_000
    static let forgetMilliseconds: Int64 = 3_600_000

    /// One node as announced.
    public struct Node: Sendable, Equatable {
        public var name: String
        public var version: String
        public var startedAtMilliseconds: Int64
        public var seenAtMilliseconds: Int64
    }

    public init() {}

    /// Records that `name` is alive now.
    public func announce(_ redis: RedisConnection, name: String, version: String, startedAtMilliseconds: Int64, now: Int64) throws(CacheError) {
        _ = try redis.command(["HSET", Self.key, name, Self.encode(seenAt: now, startedAt: startedAtMilliseconds, version: version)])
    }

    /// The nodes heard from within `staleMilliseconds`, by name.
    public func list(_ redis: RedisConnection, now: Int64) throws(CacheError) -> [Node] {
        guard case .array(let fields) = try redis.command(["HGETALL", Self.key]) else { return [] }
        var nodes: [Node] = []
        var forgotten: [String] = []
        var index = 0
        while index + 1 < fields.count {
            defer { index += 2 }
            guard let name = fields[index].string, let value = fields[index + 1].string else { continue }
            guard let node = Self.decode(name: name, value) else {
                forgotten.append(name)
                continue
            }
            if now - node.seenAtMilliseconds > Self.forgetMilliseconds {
                forgotten.append(name)
            } else if now - node.seenAtMilliseconds <= Self.staleMilliseconds {
                nodes.append(node)
            }
        }
        if !forgotten.isEmpty { _ = try? redis.command(["HDEL", Self.key] + forgotten) }
        return nodes.sorted { $0.name < $1.name }
    }

    /// `<seen ms> <started ms> <version>`.
    static func encode(seenAt: Int64, startedAt: Int64, version: String) -> String {
        "\(seenAt) \(startedAt) \(version)"
    }

    static func decode(name: String, _ value: String) -> Node? {
        let parts = value.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, let seen = Int64(parts[0]), let started = Int64(parts[1]) else { return nil }
        return Node(name: name, version: String(parts[2]), startedAtMilliseconds: started, seenAtMilliseconds: seen)
    }
}
