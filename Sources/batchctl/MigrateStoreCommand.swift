import ArgumentParser
import BatchModel
import BatchStore
import Foundation

/// Copies this machine's SQLite store into an empty PostgreSQL database, for
/// moving from one node to several. Stop batchd first: what it writes during the
/// copy would not be copied.
struct MigrateStoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate-store", abstract: "Copy the SQLite store into an empty PostgreSQL database (stop batchd first).")

    @Option(help: "State directory of the SQLite store (env BATCHD_STATE_DIR).")
    var stateDir: String = ProcessInfo.processInfo.environment["BATCHD_STATE_DIR"] ?? StateLayout.defaultDirectory

    @Option(help: "SQLite database file (env BATCHD_DATABASE; default <state-dir>/var/batchd.sqlite3).")
    var database: String = ProcessInfo.processInfo.environment["BATCHD_DATABASE"] ?? ""

    @Option(help: "The PostgreSQL database to fill: a libpq connection string or postgresql:// URI.")
    var toPostgres: String

    func run() throws {
        let path = database.isEmpty ? StateLayout(stateDir).database : database
        guard FileManager.default.fileExists(atPath: path) else { throw CommandFailure("no SQLite store at \(path)") }
        let source = StoreDatabase(path: path)
        try source.prepare()
        guard let sqlite = try source.connect() as? SQLiteConnection else { throw CommandFailure("\(path) is not a SQLite store") }
        let target = StoreDatabase(postgres: toPostgres)
        do {
            try target.prepare()
            let copied = try StoreCopy.copy(from: sqlite, to: try target.connect())
            for (table, rows) in copied { print("\(table)\t\(rows)") }
            print("copied into \(target.path); start batchd with --postgres")
        } catch {
            throw CommandFailure("cannot copy: \(error)")
        }
    }
}
