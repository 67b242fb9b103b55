public import BatchModel

/// One connection to the store's database, owned by one thread: SQLite
/// (`SQLiteConnection`, one machine) or PostgreSQL (`PostgresConnection`,
/// several nodes). The store's records take any of them; their SQL is written
/// once, with `?` or `?N` parameters, and each backend runs it in its dialect.
public protocol StoreConnection: AnyObject {
    /// Which SQL a statement that cannot be written once (JSON functions, row
    /// locks) is written in.
    var dialect: StoreDialect { get }
    /// Runs one or more statements without parameters, dropping any rows.
    func execute(_ sql: String) throws(StoreError)
    /// A statement for `sql`, prepared once per connection.
    func statement(_ sql: String) throws(StoreError) -> any StoreStatement
    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    func transaction<T>(_ kind: TransactionKind, _ body: () throws(StoreError) -> T) throws(StoreError) -> T
    /// Sends what `StoreStatement.enqueue()` queued now, so its errors surface
    /// here (the caller names them); nothing to do on SQLite.
    func sendQueued() throws(StoreError)
    /// Whether the connection can no longer work (PostgreSQL: the server went
    /// away or restarted); the owner opens a new one. A SQLite connection never is.
    var isBroken: Bool { get }
    /// Rows changed by the last INSERT, UPDATE or DELETE.
    var changes: Int { get }
    /// Applies the migrations of this backend the database has not seen yet.
    func migrate() throws(StoreError)
    /// Batches whose state changed in this connection's transactions, with their
    /// version after the change, for the caller to act on after the commit (the
    /// scheduler invalidates cached status documents). A rolled-back change may be
    /// listed too, so acting on an entry must be harmless.
    var changedBatches: [BatchIdentity: Int] { get set }
}

extension StoreConnection {
    /// A write transaction (`.immediate`).
    public func transaction<T>(_ body: () throws(StoreError) -> T) throws(StoreError) -> T { try transaction(.immediate, body) }

    /// Returns and clears `changedBatches`.
    public func takeChangedBatches() -> [BatchIdentity: Int] {
        defer { changedBatches = [:] }
        return changedBatches
    }
}

/// The two SQL dialects the store speaks.
public enum StoreDialect: String, Sendable {
    case sqlite, postgres

    /// Whether other batchd processes (nodes) may use the same database at once:
    /// a SQLite file belongs to one process, a PostgreSQL database to every node.
    public var isSharedByNodes: Bool { self == .postgres }
}

/// How a transaction starts. SQLite: `.immediate` takes the write lock up front,
/// so a busy database fails at BEGIN, not halfway through. PostgreSQL locks rows
/// as statements reach them, so both are a plain `BEGIN` there.
public enum TransactionKind: Sendable { case immediate, deferred }

/// A statement with its parameters bound (`?` in order, or `?N`), run for its
/// effect or its rows.
public protocol StoreStatement: AnyObject {
    @discardableResult
    func bind(_ values: [SQLiteValue]) throws(StoreError) -> any StoreStatement
    func run() throws(StoreError)
    /// Runs the statement for its effect no later than the connection's next
    /// statement or commit, in the same transaction: on PostgreSQL it is sent with
    /// that one (pipeline mode, one round trip for both), on SQLite it runs now.
    /// For writes whose changes the caller does not read; an error surfaces from
    /// the call it is sent with, and the transaction rolls back as for any other.
    func enqueue() throws(StoreError)
    /// `enqueue` for a statement whose rows the caller reads: `read` gets each row
    /// when its result arrives (PostgreSQL: with the exchange it is sent in, such
    /// as the commit's; SQLite: now). So a transaction can end with a statement
    /// whose answer it needs and its COMMIT in one round trip, holding its row
    /// locks for no client round trip at all.
    func enqueueReading(_ read: @escaping (any StoreRow) -> Void) throws(StoreError)
    func rows<T>(_ read: (any StoreRow) throws(StoreError) -> T) throws(StoreError) -> [T]
    func firstRow<T>(_ read: (any StoreRow) throws(StoreError) -> T) throws(StoreError) -> T?
}

extension StoreStatement {
    @discardableResult
    public func bind(_ values: SQLiteValue...) throws(StoreError) -> any StoreStatement { try bind(values) }
}

/// One row of a result, read by 0-based column.
public protocol StoreRow {
    func isNull(_ column: Int32) -> Bool
    func int(_ column: Int32) -> Int64
    func double(_ column: Int32) -> Double
    func text(_ column: Int32) -> String
    func blob(_ column: Int32) -> [UInt8]
}

extension StoreRow {
    public func optionalInt(_ column: Int32) -> Int64? { isNull(column) ? nil : int(column) }
    public func optionalText(_ column: Int32) -> String? { isNull(column) ? nil : text(column) }
}
