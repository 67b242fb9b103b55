import ArgumentParser
import BatchCache
import BatchCodecs
import BatchModel
import BatchStore
import Foundation

/// `batchctl cache show|set|flush`: the status-cache TTLs in SQLite (every
/// batchd picks a change up within a second) and flushing entries in Redis.
struct CacheCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache", abstract: "Show and set status-cache TTLs; flush cached documents.", subcommands: [Show.self, Set.self, Flush.self])

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the TTLs (seconds) per document kind and batch state, and the cache's figures.")
        @OptionGroup var location: StoreLocation
        @OptionGroup var redis: RedisLocation
        @Option(help: "Show this tenant's effective TTLs (id or name).") var tenant: String?

        func run() throws {
            let connection = try location.open()
            let settings = try CacheSettingsRecords(connection).load()
            let tenantID = try tenant.map { try findTenant($0, in: connection).id }
            print("kind\tstate\tseconds" + (tenantID == nil ? "" : "\t(tenant \(tenantID!))"))
            for kind in CachedDocumentKind.allCases {
                for state in BatchState.allCases {
                    let seconds = tenantID.map { settings.ttl(kind, state: state, tenantID: $0) } ?? settings.defaults[kind]?[state] ?? 0
                    print("\(kind.rawValue)\t\(state.nativeName)\t\(seconds)")
                }
            }
            for (id, table) in settings.tenantOverrides.sorted(by: { $0.key < $1.key }) where tenantID == nil {
                print("override \(id): \(JSONWriter.string(CacheSettings.json(table)))")
            }
            let connectionToRedis = try redis.connect(location)
            if let figures = try? StatusCache().statistics(connectionToRedis, tenantID: tenantID) {
                let lookups = figures.hits + figures.misses
                let ratio = lookups == 0 ? 0 : Double(figures.hits) / Double(lookups)
                print(
                    "hits=\(figures.hits) misses=\(figures.misses) hit_ratio=\(String(format: "%.4f", ratio)) entries=\(figures.entries) redis_memory_bytes=\(figures.memoryBytes)"
                )
            } else {
                print("redis: unreachable (figures unavailable)")
            }
        }
    }

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set a TTL: server-wide or for one tenant; 0 turns caching off, at most 86400. Flushes the affected entries.")
        @OptionGroup var location: StoreLocation
        @OptionGroup var redis: RedisLocation
        @Option(help: "Only for this tenant (id or name).") var tenant: String?
        @Option(help: "Document kind: status, check, talonic or all.") var kind = "all"
        @Option(help: "Batch state (created, running, completed, …), or active, finished, all.") var state = "all"
        @Flag(help: "Back to the defaults (for the tenant: drop its overrides) first.") var reset = false
        @Argument(help: "Seconds (omit with --reset alone).") var seconds: Int?

        func run() throws {
            let connection = try location.open()
            let tenantID = try tenant.map { try findTenant($0, in: connection).id }
            guard reset || seconds != nil else { throw CommandFailure("give the seconds, or --reset") }
            let records = CacheSettingsRecords(connection)
            if reset { try records.reset(tenantID: tenantID) }
            if let seconds {
                let request: JSONValue = [kind: [state: .integer(seconds)]]
                switch CacheSettings.parseTable(request, field: "ttl") {
                case .success(let table): try records.apply(table, tenantID: tenantID)
                case .failure(let problem): throw CommandFailure("\(problem.field): \(problem.reason)")
                }
            }
            let redisConnection = try redis.connect(location)
            let flushed = try? StatusCache().flush(redisConnection, tenantID: tenantID)
            print("updated; flushed \(flushed.map(String.init) ?? "nothing (redis unreachable)") cached entries")
        }
    }

    struct Flush: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete cached documents: of one batch, one tenant, or all.")
        @OptionGroup var location: StoreLocation
        @OptionGroup var redis: RedisLocation
        @Option(help: "Only this tenant's (id or name).") var tenant: String?
        @Option(help: "Only this batch's.") var batchId: String?

        func run() throws {
            let tenantID = try tenant.map { try findTenant($0, in: location.open()).id }
            do {
                let removed = try StatusCache().flush(try redis.connect(location), tenantID: tenantID, batchID: batchId)
                print("flushed \(removed) cached entries")
            } catch {
                throw CommandFailure("cannot flush: \(error)")
            }
        }
    }
}

/// Where Redis is: the same default and environment variable as batchd.
struct RedisLocation: ParsableArguments {
    @Option(help: "Redis endpoint: unix:/path, /path or host:port (env BATCHD_REDIS; default unix:<state-dir>/run/redis.sock).")
    var redis: String = ProcessInfo.processInfo.environment["BATCHD_REDIS"] ?? ""

    /// A `--redis`/`BATCHD_REDIS` that does not parse is an error, never the default.
    func connect(_ location: StoreLocation) throws -> RedisConnection {
        let spec = redis.isEmpty ? "unix:" + StateLayout(location.stateDir).redisSocket : redis
        guard let endpoint = RedisEndpoint(parsing: spec) else {
            throw ValidationError("--redis (BATCHD_REDIS) '\(spec.prefix(100))' must be unix:/path, /path or host:port")
        }
        return RedisConnection(endpoint: endpoint, connectTimeoutMilliseconds: 1000, commandTimeoutMilliseconds: 5000)
    }
}
