public import BatchModel
public import BatchStore
import Foundation

/// A migrated store in its own temporary folder, with one tenant: a SQLite file
/// there, or a PostgreSQL server of its own (`TemporaryPostgres`); removed (and
/// stopped) when released.
public final class TemporaryStore {
    public let folder: String
    public let database: StoreDatabase
    public let connection: any StoreConnection
    public let tenant: Tenant
    private let server: TemporaryPostgres?

    public init(label: String = "store", backend: StoreBackend = .sqlite) throws {
        folder = NSTemporaryDirectory() + "batchd-\(label)-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        switch backend {
        case .sqlite:
            server = nil
            database = StoreDatabase(path: folder + "/test.sqlite3")
        case .postgres:
            let server = try TemporaryPostgres(label: label)
            self.server = server
            database = StoreDatabase(postgres: server.conninfo)
        }
        try database.prepare()
        connection = try database.connect()
        tenant = try TenantRecords(connection).create(name: "acme")
    }

    deinit { try? FileManager.default.removeItem(atPath: folder) }

    /// Stores a batch of `items` one-byte items and returns its id.
    public func createBatch(items: Int, processor: String = "noop", configuration: BatchConfiguration = BatchConfiguration()) throws -> String {
        let batch = NewBatch(
            name: "b", processor: processor, configuration: configuration, items: NewItems((1...items).map { NewItem(content: [1, 2, 3], row: $0) }))
        guard case .created(let row, _) = try BatchRecords(connection).create(batch, tenantID: tenant.id, render: { _ in [] }) else {
            throw StoreError.notFound("batch")
        }
        return row.id
    }
}
