/// A Lua script run inside Redis: atomic, and one round trip however many
/// commands it runs. Sent once per connection with SCRIPT LOAD, then called
/// by hash with EVALSHA; a Redis that restarted and forgot it (NOSCRIPT) is
/// sent it again.
public struct RedisScript: Sendable {
    public let name: String
    public let source: String

    public init(name: String, source: String) {
        self.name = name
        self.source = source
    }
}

/// One script call: the script, its KEYS and its ARGV.
public struct RedisScriptCall: Sendable {
    public var script: RedisScript
    public var keys: [String]
    public var arguments: [String]

    public init(_ script: RedisScript, keys: [String], arguments: [String]) {
        self.script = script
        self.keys = keys
        self.arguments = arguments
    }
}

extension RedisConnection {
    /// Runs one script and returns its reply (an error reply is returned, not thrown).
    public func evaluate(_ script: RedisScript, keys: [String], arguments: [String]) throws(CacheError) -> RedisReply {
        try evaluate([RedisScriptCall(script, keys: keys, arguments: arguments)])[0]
    }

    /// Runs several script calls in one pipeline: one round trip for all of them.
    public func evaluate(_ calls: [RedisScriptCall]) throws(CacheError) -> [RedisReply] {
        for attempt in 0..<2 {
            try load(calls.map(\.script))
            let replies = try pipeline(
                calls.map { call in
                    ["EVALSHA", scriptHashes[call.script.name] ?? "", String(call.keys.count)] + call.keys + call.arguments
                })
            let forgotten = replies.contains { if case .error(let text) = $0 { return text.hasPrefix("NOSCRIPT") } else { return false } }
            if !forgotten || attempt == 1 { return replies }
            // Redis restarted (or SCRIPT FLUSH): load again and repeat the calls once.
            scriptHashes = [:]
        }
        return []
    }

    private func load(_ scripts: [RedisScript]) throws(CacheError) {
        var missing: [RedisScript] = []
        for script in scripts where scriptHashes[script.name] == nil && !missing.contains(where: { $0.name == script.name }) {
            missing.append(script)
        }
        guard !missing.isEmpty else { return }
        let replies = try pipeline(missing.map { ["SCRIPT", "LOAD", $0.source] })
        for (script, reply) in zip(missing, replies) {
            guard let hash = reply.string, reply != .null else { throw .reply("SCRIPT LOAD \(script.name): \(reply)") }
            if case .error(let text) = reply { throw .reply("SCRIPT LOAD \(script.name): \(text)") }
            scriptHashes[script.name] = hash
        }
    }
}
