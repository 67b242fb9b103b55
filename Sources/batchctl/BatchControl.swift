import ArgumentParser
import BatchModel
import BatchStore
import Foundation

/// `batchctl`: admin commands that work on the server's machine, straight on the
/// SQLite database (safe beside a running batchd: WAL and `BEGIN IMMEDIATE`).
@main
struct BatchControl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batchctl",
        abstract: "Administer batchd: tenants, API keys and the status cache.",
        subcommands: [TenantCommand.self, KeyCommand.self, CacheCommand.self, WebhookSecretCommand.self, MigrateStoreCommand.self])
}

/// Prints the key that signs completion webhooks (made on first use), for receivers to verify with.
struct WebhookSecretCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "webhook-secret", abstract: "Print the key that signs completion webhooks.")
    @OptionGroup var location: StoreLocation

    func run() throws {
        let connection = try location.open()
        print(try SettingsRecords(connection).value(scope: "webhooks", key: "secret") { APIKeySecret.generate().value })
    }
}

/// Where the database is: the same defaults and environment variables as batchd.
struct StoreLocation: ParsableArguments {
    @Option(help: "State directory (env BATCHD_STATE_DIR).")
    var stateDir: String = ProcessInfo.processInfo.environment["BATCHD_STATE_DIR"] ?? StateLayout.defaultDirectory

    @Option(help: "SQLite database file (env BATCHD_DATABASE; default <state-dir>/var/batchd.sqlite3).")
    var database: String = ProcessInfo.processInfo.environment["BATCHD_DATABASE"] ?? ""

    @Option(help: "PostgreSQL store: a libpq connection string or postgresql:// URI (env BATCHD_POSTGRES).")
    var postgres: String = ProcessInfo.processInfo.environment["BATCHD_POSTGRES"] ?? ""

    /// Opens the database, creating and migrating it when needed.
    func open() throws -> any StoreConnection {
        if !postgres.isEmpty {
            let store = StoreDatabase(postgres: postgres)
            try store.prepare()
            return try store.connect()
        }
        let path = database.isEmpty ? StateLayout(stateDir).database : database
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let store = StoreDatabase(path: path)
        try store.prepare()
        return try store.connect()
    }
}

/// A command-line failure: printed without a stack, exit status 1.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

func findTenant(_ idOrName: String, in connection: any StoreConnection) throws -> Tenant {
    guard let tenant = try TenantRecords(connection).find(idOrName: idOrName) else {
        throw CommandFailure("no tenant with id or name '\(idOrName)'")
    }
    return tenant
}
