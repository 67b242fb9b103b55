public import BatchStore
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A private PostgreSQL server for one test: `initdb` into a temporary folder,
/// listening on a unix socket in that folder only (no TCP), fsync off, started
/// with `pg_ctl` and always stopped and removed when released. As root (CI),
/// the server runs as the `postgres` user, since PostgreSQL refuses to run as root.
public final class TemporaryPostgres {
    public let folder: String
    /// The libpq connection string of the `batchd` database.
    public let conninfo: String
    private let binDirectory: String
    private let runAs: String

    public enum SetupError: Error, CustomStringConvertible {
        case missing(String)
        public var description: String {
            switch self {
            case .missing(let what): return "PostgreSQL is not installed (\(what)); deploy/test installs it"
            }
        }
    }

    /// The newest Debian PostgreSQL's programs (`/usr/lib/postgresql/N/bin`).
    public static func binDirectory() throws -> String {
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        guard let newest = versions.compactMap(Int.init).max() else { throw SetupError.missing("/usr/lib/postgresql") }
        let bin = "/usr/lib/postgresql/\(newest)/bin"
        guard access(bin + "/initdb", X_OK) == 0 else { throw SetupError.missing(bin + "/initdb") }
        return bin
    }

    public init(label: String = "pg") throws {
        binDirectory = try Self.binDirectory()
        let base = ProcessInfo.processInfo.environment["BATCHD_TEST_TMP"] ?? NSTemporaryDirectory()
        // Short: the socket's path must fit in 107 bytes.
        folder = base + "/\(label)-" + UUID().uuidString.prefix(6).lowercased()
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        runAs = getuid() == 0 ? "runuser -u postgres -- " : ""
        if getuid() == 0 {
            guard let user = getpwnam("postgres") else { throw SetupError.missing("the postgres user") }
            chown(folder, user.pointee.pw_uid, user.pointee.pw_gid)
        }
        let log = folder + "/setup.log"
        try ChildProcess.bash(
            "\(runAs)\(binDirectory)/initdb -D '\(folder)/data' -U batchd -A trust -E UTF8 --locale=C --no-sync",
            outputPath: log, seconds: 60)
        conninfo = "host=\(folder) user=batchd dbname=batchd"
        try start(log: log)
        let admin = try PostgresConnection("host=\(folder) user=batchd dbname=postgres")
        try admin.execute("CREATE DATABASE batchd")
    }

    /// Stops the server at once (`immediate`: every connection cut, as a crash
    /// would), waits `downSeconds`, and starts it again on the same socket.
    public func restart(downSeconds: Double = 0) throws {
        let log = folder + "/setup.log"
        try ChildProcess.bash("\(runAs)\(binDirectory)/pg_ctl -D '\(folder)/data' -m immediate -w stop", outputPath: log, seconds: 30)
        if downSeconds > 0 { usleep(UInt32(downSeconds * 1_000_000)) }
        try start(log: log)
    }

    /// Starts the server on the folder's socket only, without durability (a test's data).
    private func start(log: String) throws {
        try ChildProcess.bash(
            "\(runAs)\(binDirectory)/pg_ctl -D '\(folder)/data' -l '\(folder)/server.log' -w -t 30 "
                + "-o \"-k '\(folder)' -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off\" start",
            outputPath: log, seconds: 60)
    }

    /// A new connection to the `batchd` database.
    public func connect() throws -> PostgresConnection { try PostgresConnection(conninfo) }

    deinit {
        try? ChildProcess.bash("\(runAs)\(binDirectory)/pg_ctl -D '\(folder)/data' -m immediate -w stop", outputPath: "/dev/null", seconds: 30)
        try? FileManager.default.removeItem(atPath: folder)
    }
}
