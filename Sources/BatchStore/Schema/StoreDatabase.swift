/// Where the database lives and how its connections are opened: a SQLite file
/// (one machine) or a PostgreSQL server (several nodes). One value is shared by
/// every thread; each thread calls `connect()` for its own connection.
public struct StoreDatabase: Sendable {
    public enum Backend: Sendable {
        case sqlite(path: String, synchronous: SQLiteConnection.Synchronous, busyTimeoutMilliseconds: Int32)
        /// A libpq connection string or URI; `synchronous` as for SQLite (`.normal`:
        /// commits do not wait for the WAL to reach disk, `synchronous_commit = off`).
        case postgres(conninfo: String, synchronous: SQLiteConnection.Synchronous)
    }

    public let backend: Backend
    /// Shared by every SQLite connection opened here: write transactions take turns.
    public let writerQueue: WriterQueue

    public init(
        path: String, synchronous: SQLiteConnection.Synchronous = .normal, busyTimeoutMilliseconds: Int32 = 5000,
        writerQueue: WriterQueue = WriterQueue()
    ) {
        backend = .sqlite(path: path, synchronous: synchronous, busyTimeoutMilliseconds: busyTimeoutMilliseconds)
        self.writerQueue = writerQueue
    }

    public init(postgres conninfo: String, synchronous: SQLiteConnection.Synchronous = .normal) {
        backend = .postgres(conninfo: conninfo, synchronous: synchronous)
        writerQueue = WriterQueue()
    }

    /// The dialect of the connections it opens (its name is what the API reports).
    public var dialect: StoreDialect {
        switch backend {
        case .sqlite: .sqlite
        case .postgres: .postgres
        }
    }

    /// For logs: the SQLite file, or the PostgreSQL connection string without its password.
    public var path: String {
        switch backend {
        case .sqlite(let path, _, _): return path
        case .postgres(let conninfo, _): return Self.withoutPassword(conninfo)
        }
    }

    /// Opens a connection for the calling thread. Migrations must have run (`prepare()`).
    public func connect() throws(StoreError) -> any StoreConnection {
        switch backend {
        case .sqlite(let path, let synchronous, let timeout):
            let connection = try SQLiteConnection(path: path, synchronous: synchronous, busyTimeoutMilliseconds: timeout)
            connection.writerQueue = writerQueue
            return connection
        case .postgres(let conninfo, let synchronous):
            let connection = try PostgresConnection(conninfo)
            // The same promise as SQLite's WAL with synchronous=NORMAL: a crash of the
            // machine may lose the last commits, never corrupt; FULL waits for the disk.
            if synchronous == .normal { try connection.execute("SET synchronous_commit = off") }
            return connection
        }
    }

    /// `connection` while it works, else a new one: a PostgreSQL connection the
    /// server dropped (a restart) is replaced, costing its owner one failed call.
    public func connection(reusing connection: (any StoreConnection)?) throws(StoreError) -> any StoreConnection {
        if let connection, !connection.isBroken { return connection }
        return try connect()
    }

    /// Creates the database if needed (SQLite) and applies pending migrations. Call once at start.
    public func prepare() throws(StoreError) { try connect().migrate() }

    /// `password=…` and a URI's `user:password@` blanked out.
    static func withoutPassword(_ conninfo: String) -> String {
        let bytes = Array(conninfo.utf8)
        if let scheme = (0..<max(0, bytes.count - 2)).first(where: { bytes[$0] == 0x3A && bytes[$0 + 1] == 0x2F && bytes[$0 + 2] == 0x2F }),
            let at = conninfo.utf8.index(conninfo.utf8.startIndex, offsetBy: scheme + 3, limitedBy: conninfo.utf8.endIndex)
                .flatMap({ start in conninfo[start...].firstIndex(of: "@").map { (start, $0) } })
        {
            let userinfo = conninfo[at.0..<at.1]
            guard let colon = userinfo.firstIndex(of: ":") else { return conninfo }
            return String(conninfo[..<colon]) + ":***" + String(conninfo[at.1...])
        }
        return conninfo.split(separator: " ", omittingEmptySubsequences: false)
            .map { $0.hasPrefix("password=") ? "password=***" : String($0) }
            .joined(separator: " ")
    }
}
