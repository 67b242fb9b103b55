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
}
