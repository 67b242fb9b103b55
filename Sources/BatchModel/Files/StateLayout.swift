/// Where batchd keeps its files under its state directory. batchd and batchctl both
/// take their defaults from here, so the two can never disagree on a path.
public struct StateLayout: Sendable, Equatable {
    /// The state directory when neither `--state-dir` nor `BATCHD_STATE_DIR` says one.
    public static let defaultDirectory = "./.batchd"

    public let directory: String

    public init(_ directory: String) { self.directory = directory }

    /// The SQLite database.
    public var database: String { directory + "/var/batchd.sqlite3" }
    /// batchd's FastCGI socket.
    public var fastCGISocket: String { directory + "/run/batchd.sock" }
    /// Redis's unix socket, as `deploy/run` starts it.
    public var redisSocket: String { directory + "/run/redis.sock" }
    /// The folders batchd creates at start.
    public var folders: [String] { ["var", "run", "log"].map { directory + "/" + $0 } }
    /// Upload blobs (items' files), named by hash.
    public var blobDirectory: String { directory + "/var/blobs" }
    /// The items a dying process was running (`CrashJournal`).
    public var crashJournal: String { directory + "/run/crashed-items" }
    /// Where exec processors' commands run.
    public var execWorkDirectory: String { directory + "/run/exec" }
}
