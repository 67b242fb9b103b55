/// Where the database lives and how its connections are opened. One value is
/// shared by every thread; each thread calls `connect()` for its own connection.
public struct StoreDatabase: Sendable {
    public let path: String
    public let synchronous: SQLiteConnection.Synchronous
    public let busyTimeoutMilliseconds: Int32
    /// Shared by every connection opened here: write transactions take turns.
    public let writerQueue: WriterQueue

    public init(
        path: String, synchronous: SQLiteConnection.Synchronous = .normal, busyTimeoutMilliseconds: Int32 = 5000,
        writerQueue: WriterQueue = WriterQueue()
    ) {
        self.path = path
        self.synchronous = synchronous
        self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
        self.writerQueue = writerQueue
    }

    /// Opens a connection for the calling thread. Migrations must have run (`prepare()`).
    public func connect() throws(StoreError) -> SQLiteConnection {
        let connection = try SQLiteConnection(path: path, synchronous: synchronous, busyTimeoutMilliseconds: busyTimeoutMilliseconds)
        connection.writerQueue = writerQueue
        return connection
    }

    /// Creates the file if needed and applies pending migrations. Call once at start.
    public func prepare() throws(StoreError) {
        let connection = try connect()
        try Migrations.apply(to: connection)
    }
}
