import CSQLite

/// A prepared statement of one connection. Bind parameters by 1-based index,
/// step through rows, read columns by 0-based index.
public final class SQLiteStatement: StoreStatement, StoreRow {
    let raw: OpaquePointer
    unowned let connection: SQLiteConnection

    /// SQLite's "copy this now" destructor, which Swift does not import.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    init(raw: OpaquePointer, connection: SQLiteConnection) {
        self.raw = raw
        self.connection = connection
    }

    deinit { sqlite3_finalize(raw) }

    func reset() {
        sqlite3_reset(raw)
        sqlite3_clear_bindings(raw)
    }

    /// Binds values to `?` parameters in order.
    @discardableResult
    public func bind(_ values: [SQLiteValue]) throws(StoreError) -> any StoreStatement {
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let rc: Int32
            switch value {
            case .null: rc = sqlite3_bind_null(raw, index)
            case .integer(let i): rc = sqlite3_bind_int64(raw, index, i)
            case .real(let d): rc = sqlite3_bind_double(raw, index, d)
            case .text(let s): rc = sqlite3_bind_text(raw, index, s, -1, Self.transient)
            case .blob(let bytes):
                rc = bytes.withUnsafeBytes { sqlite3_bind_blob(raw, index, $0.baseAddress, Int32($0.count), Self.transient) }
            }
            guard rc == SQLITE_OK else {
                throw SQLiteConnection.error(code: rc, message: String(cString: sqlite3_errmsg(connection.handle)))
            }
        }
        return self
    }

    /// Advances to the next row; false when there are no more.
    public func step() throws(StoreError) -> Bool {
        let rc = sqlite3_step(raw)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let message = String(cString: sqlite3_errmsg(connection.handle))
            sqlite3_reset(raw)
            throw SQLiteConnection.error(code: rc, message: message)
        }
    }

    /// Runs a statement that returns no rows.
    /// SQLite runs in process: nothing to gain by waiting.
    public func enqueue() throws(StoreError) { try run() }

    public func enqueueReading(_ read: @escaping (any StoreRow) -> Void) throws(StoreError) { _ = try rows { read($0) } }

    public func run() throws(StoreError) {
        _ = try step()
        sqlite3_reset(raw)
    }

    /// Collects every row through `read`.
    public func rows<T>(_ read: (any StoreRow) throws(StoreError) -> T) throws(StoreError) -> [T] {
        var result: [T] = []
        while try step() { result.append(try read(self)) }
        sqlite3_reset(raw)
        return result
    }

    /// The first row through `read`, or nil.
    public func firstRow<T>(_ read: (any StoreRow) throws(StoreError) -> T) throws(StoreError) -> T? {
        defer { sqlite3_reset(raw) }
        guard try step() else { return nil }
        return try read(self)
    }

    public func isNull(_ column: Int32) -> Bool { sqlite3_column_type(raw, column) == SQLITE_NULL }
    public func int(_ column: Int32) -> Int64 { sqlite3_column_int64(raw, column) }
    public func double(_ column: Int32) -> Double { sqlite3_column_double(raw, column) }

    public func text(_ column: Int32) -> String {
        guard let pointer = sqlite3_column_text(raw, column) else { return "" }
        let count = Int(sqlite3_column_bytes(raw, column))
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }

    public func blob(_ column: Int32) -> [UInt8] {
        let count = Int(sqlite3_column_bytes(raw, column))
        guard count > 0, let pointer = sqlite3_column_blob(raw, column) else { return [] }
        return Array(UnsafeRawBufferPointer(start: pointer, count: count))
    }
}

/// A value bound to a statement parameter.
public enum SQLiteValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])

    public static func int<T: BinaryInteger>(_ value: T) -> SQLiteValue { .integer(Int64(value)) }
    public static func optionalInt<T: BinaryInteger>(_ value: T?) -> SQLiteValue { value.map { .integer(Int64($0)) } ?? .null }
    public static func optionalText(_ value: String?) -> SQLiteValue { value.map(SQLiteValue.text) ?? .null }
}
