import TestSupport
import Testing

@testable import BatchCache

@Suite(.serialized) struct NodeRegistryTests {
    @Test func nodesHeardFromRecentlyAreListedAndLongSilentOnesForgotten() throws {
        let server = try RedisServer()
        let redis = RedisConnection(endpoint: .unix(path: server.socketPath))
        let registry = NodeRegistry()
        let now: Int64 = 1_800_000_000_000
        try registry.announce(redis, name: "host/n2", version: "0.1.0", startedAtMilliseconds: now - 60_000, now: now - 1_000)
        try registry.announce(redis, name: "host/n1", version: "0.1.0", startedAtMilliseconds: now - 90_000, now: now)
        try registry.announce(redis, name: "quiet", version: "0.0.9", startedAtMilliseconds: now - 900_000, now: now - 20_000)
        try registry.announce(redis, name: "gone", version: "0.0.9", startedAtMilliseconds: 0, now: now - 4_000_000)
        _ = try redis.command(["HSET", NodeRegistry.key, "junk", "not a record"])
        let nodes = try registry.list(redis, now: now)
        #expect(nodes.map(\.name) == ["host/n1", "host/n2"])
        #expect(nodes.first == NodeRegistry.Node(name: "host/n1", version: "0.1.0", startedAtMilliseconds: now - 90_000, seenAtMilliseconds: now))
        // Silent for 20 s: not listed but kept; silent for over an hour, or unreadable: removed.
        guard case .array(let fields) = try redis.command(["HKEYS", NodeRegistry.key]) else {
            Issue.record("no hash")
            return
        }
        #expect(Set(fields.compactMap(\.string)) == ["host/n1", "host/n2", "quiet"])
        // A version with spaces survives the encoding.
        try registry.announce(redis, name: "x", version: "1.0 beta", startedAtMilliseconds: 5, now: now)
        #expect(try registry.list(redis, now: now).contains { $0.name == "x" && $0.version == "1.0 beta" })
    }
}
