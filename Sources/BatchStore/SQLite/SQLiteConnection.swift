public import BatchModel
import CSQLite

/// One SQLite connection, owned by one thread.
///
/// Not `Sendable` on purpose: every FastCGI worker and scheduler thread opens its
/// own (after any fork), so nothing waits on a lock but SQLite's single writer.
/// Prepared statements are cached per SQL text, so the request path never parses SQL.
public final class SQLiteConnection: StoreConnection {
    /// Durability of commits in WAL mode: NORMAL may lose the last commits on power
    /// loss but never corrupts; FULL syncs every commit.
    public enum Synchronous: String, Sendable {
        case normal = "NORMAL"
        case full = "FULL"
    }

    let handle: OpaquePointer
    private var statements: [String: SQLiteStatement] = [:]
    public let path: String

    public var changedBatches: [BatchIdentity: Int] = [:]
    public var dialect: StoreDialect { .sqlite }
    public func migrate() throws(StoreError) { try Migrations.apply(to: self) }
    /// A SQLite file is opened in process: an error leaves the connection usable.
    public var isBroken: Bool { false }
    /// SQLite runs each statement when asked: nothing waits.
    public func sendQueued() throws(StoreError) {}

    /// Where this process's write transactions take turns (set by `StoreDatabase`).
    public var writerQueue: WriterQueue?

    /// Opens (creating if needed) the database at `path` in WAL mode.
    public init(path: String, synchronous: Synchronous = .normal, busyTimeoutMilliseconds: Int32 = 5000, readOnly: Bool = false) throws(StoreError) {
        var db: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)) | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            if let db { sqlite3_close_v2(db) }
            throw .sqlite(code: rc, message: "\(message) (\(path))")
        }
        self.handle = db
        self.path = path
        sqlite3_busy_timeout(db, busyTimeoutMilliseconds)
        sqlite3_extended_result_codes(db, 1)
        if !readOnly {
            try execute("PRAGMA journal_mode=WAL")
        }
        try execute("PRAGMA synchronous=\(synchronous.rawValue)")
        try execute("PRAGMA foreign_keys=ON")
    }

    deinit {
        statements.removeAll()
        sqlite3_close_v2(handle)
    }

    /// Runs one or more statements that return no rows we need.
    public func execute(_ sql: String) throws(StoreError) {
        var errorMessage: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &errorMessage)
        if rc != SQLITE_OK {
            let message = errorMessage.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(errorMessage)
            throw Self.error(code: rc, message: message)
        }
    }

    /// A cached prepared statement for `sql`, reset and with its bindings cleared.
    public func statement(_ sql: String) throws(StoreError) -> any StoreStatement { try prepared(sql) }

    /// The cached statement itself (tests and SQLite-only code read it directly).
    public func prepared(_ sql: String) throws(StoreError) -> SQLiteStatement {
        if let cached = statements[sql] {
            cached.reset()
            return cached
        }
        var raw: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &raw, nil)
        guard rc == SQLITE_OK, let raw else {
            throw Self.error(code: rc, message: String(cString: sqlite3_errmsg(handle)))
        }
        let statement = SQLiteStatement(raw: raw, connection: self)
        statements[sql] = statement
        return statement
    }

    /// Runs `body` in a transaction. Writers use `.immediate` so the write lock is
    /// taken up front and a busy database fails at BEGIN, not halfway through.
    public func transaction<T>(_ kind: TransactionKind, _ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        if kind == .immediate, let writerQueue {
            guard writerQueue.acquire() else { throw .busy }
            defer { writerQueue.release() }
            return try run(kind, body)
        }
        return try run(kind, body)
    }

    private func run<T>(_ kind: TransactionKind, _ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        try execute(kind == .immediate ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// Rows changed by the last INSERT, UPDATE or DELETE.
    public var changes: Int { Int(sqlite3_changes(handle)) }

    static func error(code: Int32, message: String) -> StoreError {
        let primary = code & 0xFF
        if primary == SQLITE_BUSY || primary == SQLITE_LOCKED { return .busy }
        if primary == SQLITE_CONSTRAINT { return .conflict(message) }
        return .sqlite(code: code, message: message)
    }
}
