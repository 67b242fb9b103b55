public import BatchStore
import Foundation

/// A fresh, migrated SQLite database file in its own temporary folder, removed
/// when released.
public final class TemporaryDatabase {
    public let folder: String
    public let database: StoreDatabase

    public init() throws {
        folder = NSTemporaryDirectory() + "batchd-store-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        database = StoreDatabase(path: folder + "/test.sqlite3")
        try database.prepare()
    }

    deinit { try? FileManager.default.removeItem(atPath: folder) }

    public struct NotSQLite: Error {}

    /// A SQLite connection as such, for what only SQLite has (PRAGMAs, its migrations).
    public func sqlite() throws -> SQLiteConnection {
        guard let connection = try database.connect() as? SQLiteConnection else { throw NotSQLite() }
        return connection
    }
}
