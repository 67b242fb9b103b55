import BatchCache
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A real redis-server on a unix socket in a temporary directory.
final class RedisServer {
    let folder: String
    var socketPath: String { folder + "/redis.sock" }

    init() throws {
        folder = NSTemporaryDirectory() + "batchd-redis-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try start()
    }

    func start() throws {
        let config = """
            port 0
            unixsocket \(socketPath)
            pidfile \(folder)/redis.pid
            logfile \(folder)/redis.log
            dir \(folder)
            daemonize yes
            save ""
            enable-debug-command yes
            """
        try config.write(toFile: folder + "/redis.conf", atomically: true, encoding: .utf8)
        try shell(
            "redis-server \(folder)/redis.conf && for i in $(seq 50); do redis-cli -s \(socketPath) ping >/dev/null 2>&1 && exit 0; sleep 0.1; done; exit 1"
        )
    }

    func stop() {
        _ = try? shell("source \"\(Self.repositoryRoot)/deploy/lib.sh\" && stop_pidfile \(folder)/redis.pid")
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: folder)
    }

    static let repositoryRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    private func shell(_ script: String) throws {
        try ChildProcess.bash(script)
    }
}

@Suite(.serialized) struct RedisConnectionTests {
    @Test func commandsAndPipelines() throws {
        let server = try RedisServer()
        let redis = RedisConnection(endpoint: .unix(path: server.socketPath))
        #expect(redis.ping())
        #expect(try redis.command(["SET", "k", "v a l"]) == .status("OK"))
        #expect(try redis.command(["GET", "k"]).string == "v a l")
        #expect(try redis.command(["GET", "missing"]) == .null)
        let replies = try redis.pipeline([["INCR", "n"], ["INCR", "n"], ["LPUSH", "l", "a", "b"], ["LRANGE", "l", "0", "-1"], ["PTTL", "k"]])
        #expect(replies == [.integer(1), .integer(2), .integer(2), .array([.bulk(Array("b".utf8)), .bulk(Array("a".utf8))]), .integer(-1)])
        // An error reply is a value, and the connection stays usable.
        guard case .error = try redis.command(["INCR", "k"]) else {
            Issue.record("expected an error reply")
            return
        }
        #expect(redis.ping())
    }

    @Test func binaryValuesSurvive() throws {
        let server = try RedisServer()
        let redis = RedisConnection(endpoint: .unix(path: server.socketPath))
        let value = String(decoding: [0x7B, 0x00, 0x22, 0xC3, 0xA9, 0x7D], as: UTF8.self)
        _ = try redis.command(["SET", "bin", value])
        #expect(try redis.command(["STRLEN", "bin"]) == .integer(6))
        #expect(try redis.command(["GET", "bin"]).string == value)
    }

    @Test func failsFastWhileDownAndReconnectsWhenBack() throws {
        let server = try RedisServer()
        let redis = RedisConnection(endpoint: .unix(path: server.socketPath), reconnectIntervalMilliseconds: 200)
        #expect(redis.ping())
        server.stop()
        #expect(throws: CacheError.self) { try redis.command(["PING"]) }
        #expect(!redis.isConnected)
        // Within the reconnect interval, calls fail at once without touching the socket.
        let started = Date()
        for _ in 0..<100 { #expect(throws: CacheError.self) { try redis.command(["PING"]) } }
        #expect(Date().timeIntervalSince(started) < 0.5)

        try server.start()
        let deadline = Date().addingTimeInterval(3)
        var back = false
        while Date() < deadline, !back {
            back = redis.ping()
            if !back { usleep(50_000) }
        }
        #expect(back)
    }

    @Test func commandTimeoutDropsTheConnection() throws {
        let server = try RedisServer()
        let redis = RedisConnection(endpoint: .unix(path: server.socketPath), commandTimeoutMilliseconds: 100)
        let started = Date()
        // DEBUG SLEEP blocks the server longer than the command timeout.
        #expect(throws: CacheError.self) { try redis.command(["DEBUG", "SLEEP", "0.5"]) }
        #expect(Date().timeIntervalSince(started) < 0.45)
        #expect(!redis.isConnected)
    }

    @Test func nobodyListeningIsAnError() {
        let redis = RedisConnection(endpoint: .unix(path: "/nonexistent/redis.sock"))
        #expect(throws: CacheError.self) { try redis.command(["PING"]) }
        #expect(!redis.ping())
    }
}

@Suite struct RedisEndpointTests {
    @Test func parsesEveryForm() {
        #expect(RedisEndpoint(parsing: "unix:/run/redis.sock") == .unix(path: "/run/redis.sock"))
        #expect(RedisEndpoint(parsing: "/run/redis.sock") == .unix(path: "/run/redis.sock"))
        #expect(RedisEndpoint(parsing: "127.0.0.1:6379") == .tcp(host: "127.0.0.1", port: 6379))
        #expect(RedisEndpoint(parsing: "redis://cache.local:6380/") == .tcp(host: "cache.local", port: 6380))
        for bad in ["", "unix:", "localhost", "host:0", "host:99999", ":6379"] {
            #expect(RedisEndpoint(parsing: bad) == nil, "\(bad)")
        }
    }
}
