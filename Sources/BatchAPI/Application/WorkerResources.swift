import BatchCache
import BatchStore

/// What one worker thread owns: its SQLite connection, its Redis connection and
/// its key cache. Never shared between threads, so nothing here needs a lock.
public final class WorkerResources {
    public let database: StoreDatabase
    public let redis: RedisConnection?
    public let keyCache: KeyCache
    public let service: ServiceInfo
    /// Shared by every worker of the process.
    public let metrics: RequestMetrics
    private var connection: SQLiteConnection?
    /// The last dependency probe of this worker (monotonic ms, sqlite up, redis up).
    var lastProbe: (at: Int64, sqlite: Bool, redis: Bool)?

    public init(database: StoreDatabase, redis: RedisConnection?, service: ServiceInfo, metrics: RequestMetrics, keyCache: KeyCache = KeyCache()) {
        self.database = database
        self.redis = redis
        self.service = service
        self.metrics = metrics
        self.keyCache = keyCache
    }

    /// This thread's SQLite connection, opened on first use and reopened after a failure to open.
    public func store() throws(StoreError) -> SQLiteConnection {
        if let connection { return connection }
        let opened = try database.connect()
        connection = opened
        return opened
    }

    /// Drops the connection, e.g. after the file was replaced underneath it.
    public func resetStore() { connection = nil }
}
