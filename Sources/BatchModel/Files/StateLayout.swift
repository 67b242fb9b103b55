/// Where batchd keeps its files under its state directory. batchd and batchctl both
/// take their defaults from here, so the two can never disagree on a path.
public struct StateLayout: Sendable, Equatable {
    /// The state directory when neither `--state-dir` nor `BATCHD_STATE_DIR` says one.
    public static let defaultDirectory = "./.batchd"

    public let directory: String
    /// Which of several batchd nodes on this machine sharing the directory (empty: the only one).
    public let node: String

    public init(_ directory: String, node: String = "") {
        self.directory = directory
        self.node = node
    }

    /// `-<node>` when several nodes share the directory: what each node keeps apart.
    private var nodeSuffix: String { node.isEmpty ? "" : "-" + node }

    /// The SQLite database.
    public var database: String { directory + "/var/batchd.sqlite3" }
    /// batchd's FastCGI socket.
    public var fastCGISocket: String { directory + "/run/batchd\(nodeSuffix).sock" }
    /// Redis's unix socket, as `deploy/run` starts it.
    public var redisSocket: String { directory + "/run/redis.sock" }
    /// The folders batchd creates at start.
    public var folders: [String] { ["var", "run", "log"].map { directory + "/" + $0 } }
    /// Upload blobs (items' files), named by hash.
    public var blobDirectory: String { directory + "/var/blobs" }
    /// Finished batches' results downloads, rendered once for nginx to send (`RenderedResultsFolder`).
    public var resultsDirectory: String { directory + "/var/results" }
    /// The items a dying process was running (`CrashJournal`).
    public var crashJournal: String { directory + "/run/crashed-items\(nodeSuffix)" }
    /// Where exec processors' commands run (a node kills the orphans it finds there at start).
    public var execWorkDirectory: String { directory + "/run/exec\(nodeSuffix)" }
}
