public import BatchStore

/// The two backends of the store, for tests that must hold on both: SQLite in a
/// temporary file, PostgreSQL on a server the test starts (`TemporaryPostgres`),
/// each migrated to the latest schema.
public enum StoreBackend: String, CaseIterable, Sendable {
    case sqlite, postgres

    /// A migrated, empty store of this backend; released (and its server stopped) with the value.
    public func open() throws -> OpenStore {
        switch self {
        case .sqlite:
            let temp = try TemporaryDatabase()
            let database = temp.database
            return OpenStore(connection: try temp.database.connect(), keepAlive: temp) { try database.connect() }
        case .postgres:
            let server = try TemporaryPostgres()
            let connection = try server.connect()
            try PostgresMigrations.apply(to: connection)
            let conninfo = server.conninfo
            return OpenStore(connection: connection, keepAlive: server) { try PostgresConnection(conninfo) }
        }
    }
}

/// A store connection with what keeps its database alive, and a way to open
/// more (one per thread, as batchd's workers and nodes have).
public final class OpenStore {
    public let connection: any StoreConnection
    public let connect: @Sendable () throws -> any StoreConnection
    private let keepAlive: AnyObject

    init(connection: any StoreConnection, keepAlive: AnyObject, connect: @escaping @Sendable () throws -> any StoreConnection) {
        self.connection = connection
        self.keepAlive = keepAlive
        self.connect = connect
    }
}
