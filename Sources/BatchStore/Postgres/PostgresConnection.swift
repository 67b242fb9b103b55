import BatchCodecs
public import BatchModel
import CLibPQ

/// One libpq connection to PostgreSQL, owned by one thread (as a SQLite
/// connection and a hiredis context are). Statements with parameters are
/// prepared once per connection, keyed by their text, and run with text-format
/// parameters and results; `execute` sends statements without parameters as
/// one simple query.
///
/// After a connection-level failure (server gone, network, admin shutdown) the
/// connection is unusable: every later call throws, and the caller opens a new
/// one, as it does after a SQLite error.
public final class PostgresConnection: StoreConnection {
    private let handle: OpaquePointer
    /// Statement text → the name it was prepared under on this connection.
    private var prepared: [String: String] = [:]
    /// The store's SQL (`?`, `?N` parameters) → PostgreSQL's (`$N`).
    private var translated: [String: String] = [:]
    public private(set) var changes = 0
    public var changedBatches: [BatchIdentity: Int] = [:]
    public var dialect: StoreDialect { .postgres }
    public func migrate() throws(StoreError) { try PostgresMigrations.apply(to: self) }

    /// Opens a connection with a libpq connection string (`host=/run/pg dbname=batchd user=batchd`)
    /// or URI; fails with the server's or libpq's message.
    public init(_ conninfo: String) throws(StoreError) {
        guard let connection = PQconnectdb(conninfo) else { throw .postgres(sqlState: "08000", message: "out of memory") }
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = Self.trimmed(PQerrorMessage(connection))
            PQfinish(connection)
            throw .postgres(sqlState: "08001", message: message)
        }
        // libpq prints server notices ("relation … already exists, skipping") to
        // standard error by default: batchd logs what matters, and batchctl's output
        // is read by scripts.
        PQsetNoticeProcessor(connection, { _, _ in }, nil)
        handle = connection
    }

    deinit { PQfinish(handle) }

    /// Whether the connection still works as far as libpq knows.
    public var isOpen: Bool { PQstatus(handle) == CONNECTION_OK }

    /// Runs `sql` (one or more statements, no parameters) and drops any rows.
    public func execute(_ sql: String) throws(StoreError) {
        let result = PQexec(handle, sql)
        defer { PQclear(result) }
        try check(result)
    }

    /// Runs one statement with `parameters` (`$1`, `$2`, …), preparing it on first
    /// use on this connection, and returns its rows.
    @discardableResult
    public func query(_ sql: String, _ parameters: [SQLiteValue] = []) throws(StoreError) -> PostgresRows {
        // PostgreSQL text cannot hold NUL, and a C string would end there: refuse
        // rather than store a shortened value.
        if parameters.contains(where: { if case .text(let text) = $0 { text.utf8.contains(0) } else { false } }) {
            throw .postgres(sqlState: "22021", message: "a text value contains a NUL byte")
        }
        let name = try statementName(for: sql, count: parameters.count)
        // Text-format parameters, which the server reads as whatever type the
        // statement gives the parameter: integers in decimal, bytes as bytea hex.
        let buffers: [[UInt8]] = parameters.map { parameter in
            switch parameter {
            case .null: return []
            case .integer(let value): return Array(String(value).utf8)
            case .real(let value): return Array("\(value)".utf8)
            case .text(let value): return Array(value.utf8)
            case .blob(let value): return Array(("\\x" + Hex.encode(value)).utf8)
            }
        }
        let lengths = buffers.map { Int32($0.count) }
        let formats = [Int32](repeating: 0, count: parameters.count)
        let result = Self.withPointers(buffers, nulls: parameters.map { $0 == .null }) { values in
            PQexecPrepared(handle, name, Int32(parameters.count), values, lengths, formats, 0)
        }
        defer { PQclear(result) }
        try check(result)
        changes = Int(String(cString: PQcmdTuples(result))) ?? 0
        return PostgresRows(result)
    }

    /// The store's statement `sql` (`?` or `?N` parameters) on this connection.
    public func statement(_ sql: String) throws(StoreError) -> any StoreStatement {
        if let text = translated[sql] { return PostgresStatement(connection: self, sql: text) }
        let text = PostgresDialect.placeholders(sql)
        translated[sql] = text
        return PostgresStatement(connection: self, sql: text)
    }

    /// PostgreSQL has one way to begin: rows are locked as statements reach them.
    public func transaction<T>(_ kind: TransactionKind, _ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        try transaction(body)
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it
    /// throws. `READ COMMITTED`, PostgreSQL's default; claims rely on row locks, not isolation.
    public func transaction<T>(_ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        try execute("BEGIN")
        do {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            if isOpen { _ = try? execute("ROLLBACK") }
            throw error
        }
    }

    private func statementName(for sql: String, count: Int) throws(StoreError) -> String {
        if let name = prepared[sql] { return name }
        let name = "s\(prepared.count)"
        // Parameter types are left to the server to infer from the statement (0 = unspecified).
        let types = [Oid](repeating: 0, count: count)
        let result = PQprepare(handle, name, sql, Int32(count), types)
        defer { PQclear(result) }
        try check(result)
        prepared[sql] = name
        return name
    }

    private func check(_ result: OpaquePointer?) throws(StoreError) {
        guard let result else { throw .postgres(sqlState: "08006", message: Self.trimmed(PQerrorMessage(handle))) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY: return
        default:
            let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) } ?? "08006"
            let message = Self.trimmed(PQresultErrorMessage(result))
            // Integrity violations (unique, foreign key, check) are conflicts, as SQLite's constraint errors are.
            if state.hasPrefix("23") { throw .conflict(message) }
            throw .postgres(sqlState: state, message: message)
        }
    }

    private static func trimmed(_ message: UnsafePointer<CChar>?) -> String {
        guard let message else { return "unknown error" }
        return String(cString: message).trimmingSuffixNewlines()
    }

    /// Calls `body` with C pointers to `buffers` (nil for the NULL parameters),
    /// valid for the duration of the call.
    private static func withPointers<R>(
        _ buffers: [[UInt8]], nulls: [Bool], _ body: ([UnsafePointer<CChar>?]) -> R
    ) -> R {
        let copies = buffers.map { bytes -> UnsafeMutablePointer<CChar> in
            // NUL-terminated: libpq reads text-format parameters as C strings.
            let copy = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
            bytes.withUnsafeBufferPointer { source in
                source.withMemoryRebound(to: CChar.self) { if let base = $0.baseAddress { copy.initialize(from: base, count: bytes.count) } }
            }
            copy[bytes.count] = 0
            return copy
        }
        defer { copies.forEach { $0.deallocate() } }
        return body(zip(copies, nulls).map { $1 ? nil : UnsafePointer($0) })
    }
}

extension String {
    fileprivate func trimmingSuffixNewlines() -> String {
        var text = Substring(self)
        while let last = text.last, last.isNewline { text = text.dropLast() }
        return String(text)
    }
}
