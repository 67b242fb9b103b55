import ArgumentParser
import BatchAPI
import BatchCache
import BatchCodecs
import BatchModel
import BatchScheduler
import BatchStore
import Foundation
import Lifecycle
import Logging

/// batchd's settings: every flag also reads an environment variable
/// (`BATCHD_…`), and flags win. Paths default to places under `--state-dir`.
struct Configuration: ParsableArguments {
    private static let environment = ProcessInfo.processInfo.environment

    @Option(help: "State directory holding var/, run/ and log/ (env BATCHD_STATE_DIR).")
    var stateDir: String = environment["BATCHD_STATE_DIR"] ?? StateLayout.defaultDirectory

    @Option(help: "FastCGI unix socket path (env BATCHD_SOCKET; default <state-dir>/run/batchd.sock).")
    var socket: String = environment["BATCHD_SOCKET"] ?? ""

    @Option(help: "Octal file mode of the socket (env BATCHD_SOCKET_MODE).")
    var socketMode: String = environment["BATCHD_SOCKET_MODE"] ?? "0660"

    @Option(help: "SQLite database file (env BATCHD_DATABASE; default <state-dir>/var/batchd.sqlite3).")
    var database: String = environment["BATCHD_DATABASE"] ?? ""

    @Option(
        help:
            "This node's name when several batchd share one state directory (deploy/run --nodes): its own socket, crash journal and exec folder (env BATCHD_NODE)."
    )
    var node: String = environment["BATCHD_NODE"] ?? ""

    @Option(
        help: "PostgreSQL store instead of SQLite: a libpq connection string or postgresql:// URI, shared by every node (env BATCHD_POSTGRES).")
    var postgres: String = environment["BATCHD_POSTGRES"] ?? ""

    @Option(
        help:
            "Where uploaded files are kept (env BATCHD_BLOB_DIR; default <state-dir>/var/blobs). Nodes on several machines need one folder they all mount at this path."
    )
    var blobDir: String = environment["BATCHD_BLOB_DIR"] ?? ""

    @Option(
        help:
            "Where finished batches' results downloads are kept as files for nginx to send (env BATCHD_RESULTS_DIR; default <state-dir>/var/results). nginx's /.batchd-results/ location must alias the same folder."
    )
    var resultsDir: String = environment["BATCHD_RESULTS_DIR"] ?? ""

    @Option(
        help:
            "Most megabytes of rendered results downloads kept; the least recently used go first. 0: every download is rendered from the store (env BATCHD_RESULTS_CACHE_MB)."
    )
    var resultsCacheMb: Int = Int(environment["BATCHD_RESULTS_CACHE_MB"] ?? "") ?? 4096

    @Option(help: "Redis endpoint: unix:/path, /path or host:port (env BATCHD_REDIS; default unix:<state-dir>/run/redis.sock).")
    var redis: String = environment["BATCHD_REDIS"] ?? ""

    @Option(help: "FastCGI worker threads; must exceed nginx's upstream keepalive pool (env BATCHD_THREADS).")
    var threads: Int = Int(environment["BATCHD_THREADS"] ?? "") ?? 128

    @Option(help: "Requests one tenant may have in batchd at once; more get 429. 0: a quarter of --threads (env BATCHD_TENANT_MAX_IN_FLIGHT).")
    var tenantMaxInFlight: Int = Int(environment["BATCHD_TENANT_MAX_IN_FLIGHT"] ?? "") ?? 0

    @Option(help: "Requests one API key may have in batchd at once. 0: as many as its tenant (env BATCHD_KEY_MAX_IN_FLIGHT).")
    var keyMaxInFlight: Int = Int(environment["BATCHD_KEY_MAX_IN_FLIGHT"] ?? "") ?? 0

    /// The concurrency budget these settings give.
    var concurrencyBudget: ConcurrencyBudget {
        let tenant = tenantMaxInFlight > 0 ? tenantMaxInFlight : max(4, threads / 4)
        return ConcurrencyBudget(perTenant: tenant, perKey: keyMaxInFlight > 0 ? min(keyMaxInFlight, tenant) : tenant)
    }

    @Option(help: "Largest request body; larger ones get 413 unread. Uploads stream (env BATCHD_MAX_BODY_BYTES).")
    var maxBodyBytes: Int = Int(environment["BATCHD_MAX_BODY_BYTES"] ?? "") ?? 512 << 20

    @Option(help: "Largest body parsed in memory, e.g. a JSON batch (env BATCHD_MAX_JSON_BYTES).")
    var maxJsonBytes: Int = Int(environment["BATCHD_MAX_JSON_BYTES"] ?? "") ?? 64 << 20

    @Option(help: "Seconds in-flight requests get to finish on SIGTERM (env BATCHD_GRACE_SECONDS).")
    var graceSeconds: Double = Double(environment["BATCHD_GRACE_SECONDS"] ?? "") ?? 10

    @Option(help: "SQLite synchronous mode: normal or full (env BATCHD_SYNCHRONOUS).")
    var synchronous: String = environment["BATCHD_SYNCHRONOUS"] ?? "normal"

    @Option(help: "Redis command timeout in milliseconds (env BATCHD_REDIS_TIMEOUT_MS).")
    var redisTimeoutMs: Int = Int(environment["BATCHD_REDIS_TIMEOUT_MS"] ?? "") ?? 50

    @Option(
        help:
            "Lifetime in ms of a rate-limit lease: a slice of a tenant's budget taken from Redis in one call and spent by this process's reads; 0 decides every request in Redis (env BATCHD_RATE_LIMIT_LEASE_MS)."
    )
    var rateLimitLeaseMs: Int = Int(environment["BATCHD_RATE_LIMIT_LEASE_MS"] ?? "") ?? 250

    @Option(
        help:
            "MiB of status-cache entries this process keeps a copy of, kept exact by invalidations published through Redis; 0 reads Redis every time (env BATCHD_STATUS_MIRROR_MB)."
    )
    var statusMirrorMb: Int = Int(environment["BATCHD_STATUS_MIRROR_MB"] ?? "") ?? 64

    @Option(
        help:
            "CPU scheduling policy of batchd's threads: batch (a woken thread does not preempt the running one: fewer context switches a request) or normal (env BATCHD_CPU_SCHEDULING)."
    )
    var cpuScheduling: String = environment["BATCHD_CPU_SCHEDULING"] ?? "batch"

    @Option(
        help:
            "Diagnostic: slow every status-document build from SQLite by this many ms, to make cache stampedes visible (env BATCHD_STATUS_BUILD_DELAY_MS; 0 in production)."
    )
    var statusBuildDelayMs: Int = Int(environment["BATCHD_STATUS_BUILD_DELAY_MS"] ?? "") ?? 0

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (env BATCHD_LOG_LEVEL).")
    var logLevel: String = environment["BATCHD_LOG_LEVEL"] ?? "info"

    @Option(help: "Scheduler worker threads (env BATCHD_SCHEDULER_WORKERS).")
    var schedulerWorkers: Int = Int(environment["BATCHD_SCHEDULER_WORKERS"] ?? "") ?? 2

    @Option(help: "Folder that file_path items are read from; unset refuses file_path (env BATCHD_INGEST_ROOT).")
    var ingestRoot: String = environment["BATCHD_INGEST_ROOT"] ?? ""

    @Option(help: "Seconds a scheduler lease lasts without renewal (env BATCHD_LEASE_SECONDS).")
    var leaseSeconds: Int = Int(environment["BATCHD_LEASE_SECONDS"] ?? "") ?? 60

    @Option(help: "Seconds between rescues of expired leases (env BATCHD_RESCUE_SECONDS).")
    var rescueSeconds: Int = Int(environment["BATCHD_RESCUE_SECONDS"] ?? "") ?? 5

    @Option(help: "JSON file registering exec:NAME processors (env BATCHD_PROCESSORS_FILE).")
    var processorsFile: String = environment["BATCHD_PROCESSORS_FILE"] ?? ""

    @Option(help: "Key that signs completion webhooks; unset uses one generated and kept in the database (env BATCHD_WEBHOOK_SECRET).")
    var webhookSecret: String = environment["BATCHD_WEBHOOK_SECRET"] ?? ""

    @Option(
        help:
            "Comma-separated hosts (names or addresses) webhooks may reach although they are inside this network, e.g. 127.0.0.1 for a local receiver (env BATCHD_WEBHOOK_ALLOW_HOSTS)."
    )
    var webhookAllowHosts: String = environment["BATCHD_WEBHOOK_ALLOW_HOSTS"] ?? ""

    /// Where webhooks may go: public addresses and the allow-list.
    var webhookPolicy: WebhookPolicy {
        WebhookPolicy(
            allowedHosts: Set(webhookAllowHosts.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }))
    }

    @Option(help: "Largest document file (PDF, DOCX, text) (env BATCHD_MAX_DOCUMENT_BYTES).")
    var maxDocumentBytes: Int = Int(environment["BATCHD_MAX_DOCUMENT_BYTES"] ?? "") ?? 20 << 20

    @Option(help: "Largest image file (env BATCHD_MAX_IMAGE_BYTES).")
    var maxImageBytes: Int = Int(environment["BATCHD_MAX_IMAGE_BYTES"] ?? "") ?? 20 << 20

    @Option(help: "Largest audio file (env BATCHD_MAX_AUDIO_BYTES).")
    var maxAudioBytes: Int = Int(environment["BATCHD_MAX_AUDIO_BYTES"] ?? "") ?? 50 << 20

    @Option(help: "Largest video file (env BATCHD_MAX_VIDEO_BYTES).")
    var maxVideoBytes: Int = Int(environment["BATCHD_MAX_VIDEO_BYTES"] ?? "") ?? 100 << 20

    @Option(help: "The file-inspection helper program (env BATCHD_INSPECT_HELPER; default batchd-inspect beside batchd).")
    var inspectHelper: String = environment["BATCHD_INSPECT_HELPER"] ?? ""

    @Option(help: "Address space of each inspection helper, in MiB (env BATCHD_INSPECT_MEMORY_MB).")
    var inspectMemoryMb: Int = Int(environment["BATCHD_INSPECT_MEMORY_MB"] ?? "") ?? 1024

    @Option(help: "CPU seconds one item may use in an inspection helper (env BATCHD_INSPECT_CPU_SECONDS).")
    var inspectCpuSeconds: Int = Int(environment["BATCHD_INSPECT_CPU_SECONDS"] ?? "") ?? 30

    @Option(help: "Most items in one batch (env BATCHD_MAX_ITEMS).")
    var maxItems: Int = Int(environment["BATCHD_MAX_ITEMS"] ?? "") ?? 100_000

    /// How this process shows in the node registry (`/readyz`'s `nodes`): the
    /// machine's name, and the node's when it has one.
    var nodeName: String {
        let host = ProcessInfo.processInfo.hostName
        return node.isEmpty ? host : "\(host)/\(node)"
    }

    /// The state directory's paths for this node.
    var stateLayout: StateLayout { StateLayout(stateDir, node: node) }
    var socketPath: String { socket.isEmpty ? stateLayout.fastCGISocket : socket }
    var blobDirectory: String { blobDir.isEmpty ? stateLayout.blobDirectory : blobDir }
    var resultsFolder: RenderedResultsFolder {
        RenderedResultsFolder(directory: resultsDir.isEmpty ? stateLayout.resultsDirectory : resultsDir, budgetBytes: resultsCacheMb << 20)
    }
    var databasePath: String { database.isEmpty ? StateLayout(stateDir).database : database }
    var redisSpec: String { redis.isEmpty ? "unix:" + StateLayout(stateDir).redisSocket : redis }

    /// The numeric settings an environment variable may give: a value that is not a
    /// number stops batchd naming the variable, never falls back to the default.
    private static let numericVariables: [(variable: String, flag: String, decimal: Bool)] = [
        ("BATCHD_THREADS", "--threads", false), ("BATCHD_TENANT_MAX_IN_FLIGHT", "--tenant-max-in-flight", false),
        ("BATCHD_KEY_MAX_IN_FLIGHT", "--key-max-in-flight", false), ("BATCHD_MAX_BODY_BYTES", "--max-body-bytes", false),
        ("BATCHD_MAX_JSON_BYTES", "--max-json-bytes", false), ("BATCHD_GRACE_SECONDS", "--grace-seconds", true),
        ("BATCHD_REDIS_TIMEOUT_MS", "--redis-timeout-ms", false), ("BATCHD_STATUS_BUILD_DELAY_MS", "--status-build-delay-ms", false),
        ("BATCHD_SCHEDULER_WORKERS", "--scheduler-workers", false), ("BATCHD_LEASE_SECONDS", "--lease-seconds", false),
        ("BATCHD_RESCUE_SECONDS", "--rescue-seconds", false), ("BATCHD_MAX_DOCUMENT_BYTES", "--max-document-bytes", false),
        ("BATCHD_MAX_IMAGE_BYTES", "--max-image-bytes", false), ("BATCHD_MAX_AUDIO_BYTES", "--max-audio-bytes", false),
        ("BATCHD_MAX_VIDEO_BYTES", "--max-video-bytes", false), ("BATCHD_INSPECT_MEMORY_MB", "--inspect-memory-mb", false),
        ("BATCHD_INSPECT_CPU_SECONDS", "--inspect-cpu-seconds", false), ("BATCHD_MAX_ITEMS", "--max-items", false),
        ("BATCHD_RESULTS_CACHE_MB", "--results-cache-mb", false),
    ]

    mutating func validate() throws {
        for (variable, flag, decimal) in Self.numericVariables {
            guard let text = Self.environment[variable] else { continue }
            let parses = decimal ? Double(text).map { $0.isFinite } ?? false : Int(text) != nil
            guard parses else {
                throw ValidationError(
                    "\(variable)='\(text.prefix(40))' is not \(decimal ? "a number" : "a whole number") (the setting of \(flag); see --help)")
            }
        }
        guard node.utf8.count <= 32, node.utf8.allSatisfy({ (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2D }) else {
            throw ValidationError("--node must be at most 32 of a-z, 0-9 and -")
        }
        guard threads >= 1, threads <= 4096 else { throw ValidationError("--threads must be between 1 and 4096") }
        guard maxBodyBytes >= 1024 else { throw ValidationError("--max-body-bytes must be at least 1024") }
        guard maxJsonBytes >= 1024 else { throw ValidationError("--max-json-bytes must be at least 1024") }
        guard graceSeconds >= 0 else { throw ValidationError("--grace-seconds must not be negative") }
        guard UInt32(socketMode, radix: 8) != nil else { throw ValidationError("--socket-mode must be octal, e.g. 0660") }
        guard SQLiteConnection.Synchronous(rawValue: synchronous.uppercased()) != nil else {
            throw ValidationError("--synchronous must be normal or full")
        }
        guard RedisEndpoint(parsing: redisSpec) != nil else { throw ValidationError("--redis must be unix:/path, /path or host:port") }
        guard Logger.Level(rawValue: logLevel.lowercased()) != nil else { throw ValidationError("--log-level is not a level") }
        guard (1...64).contains(schedulerWorkers) else { throw ValidationError("--scheduler-workers must be between 1 and 64") }
        guard (2...3600).contains(leaseSeconds) else { throw ValidationError("--lease-seconds must be between 2 and 3600") }
        guard (1...3600).contains(rescueSeconds) else { throw ValidationError("--rescue-seconds must be between 1 and 3600") }
        guard [maxDocumentBytes, maxImageBytes, maxAudioBytes, maxVideoBytes].allSatisfy({ $0 >= 1 }) else {
            throw ValidationError("--max-document/image/audio/video-bytes must be at least 1")
        }
        guard tenantMaxInFlight >= 0, keyMaxInFlight >= 0 else {
            throw ValidationError("--tenant-max-in-flight and --key-max-in-flight must not be negative")
        }
        guard (64...65_536).contains(inspectMemoryMb) else { throw ValidationError("--inspect-memory-mb must be between 64 and 65536") }
        guard (1...86_400).contains(inspectCpuSeconds) else { throw ValidationError("--inspect-cpu-seconds must be between 1 and 86400") }
        guard (0...(1 << 24)).contains(resultsCacheMb) else { throw ValidationError("--results-cache-mb must be between 0 and 16777216") }
        guard maxItems >= 1 else { throw ValidationError("--max-items must be at least 1") }
        guard (0...10_000).contains(statusBuildDelayMs) else { throw ValidationError("--status-build-delay-ms must be between 0 and 10000") }
        guard (10...10_000).contains(redisTimeoutMs) else { throw ValidationError("--redis-timeout-ms must be between 10 and 10000") }
        guard CPUSchedulingPolicy(rawValue: cpuScheduling) != nil else { throw ValidationError("--cpu-scheduling must be batch or normal") }
        guard (0...10_000).contains(rateLimitLeaseMs) else { throw ValidationError("--rate-limit-lease-ms must be between 0 and 10000") }
        guard (0...65_536).contains(statusMirrorMb) else { throw ValidationError("--status-mirror-mb must be between 0 and 65536") }
    }

    var storeDatabase: StoreDatabase {
        let durability = SQLiteConnection.Synchronous(rawValue: synchronous.uppercased()) ?? .normal
        if !postgres.isEmpty { return StoreDatabase(postgres: postgres, synchronous: durability) }
        return StoreDatabase(path: databasePath, synchronous: durability)
    }
    var redisEndpoint: RedisEndpoint { RedisEndpoint(parsing: redisSpec)! }
    /// `--socket-mode` as a file mode (`validate()` has checked it is octal).
    var socketFileMode: mode_t { mode_t(UInt32(socketMode, radix: 8) ?? 0o660) }
    var mediaLimits: MediaLimits {
        MediaLimits(documentBytes: maxDocumentBytes, imageBytes: maxImageBytes, audioBytes: maxAudioBytes, videoBytes: maxVideoBytes)
    }
    /// The helper program: the flag, else `batchd-inspect` in batchd's own folder.
    var inspectHelperPath: String {
        guard inspectHelper.isEmpty else { return inspectHelper }
        let own = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: own).deletingLastPathComponent().appendingPathComponent("batchd-inspect").path
    }
    var inspectionPool: InspectionHelperPool.Configuration {
        var configuration = InspectionHelperPool.Configuration(executable: inspectHelperPath)
        configuration.memoryMegabytes = inspectMemoryMb
        configuration.cpuSeconds = inspectCpuSeconds
        return configuration
    }
    var level: Logger.Level { Logger.Level(rawValue: logLevel.lowercased()) ?? .info }
}
