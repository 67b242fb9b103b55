import BatchCodecs

/// A store statement on a PostgreSQL connection: its values are kept until it
/// runs, and it runs prepared (`PostgresConnection.query`). Rows are read from
/// the result libpq hands back whole.
final class PostgresStatement: StoreStatement {
    unowned let connection: PostgresConnection
    let sql: String
    private var values: [SQLiteValue] = []

    init(connection: PostgresConnection, sql: String) {
        self.connection = connection
        self.sql = sql
    }

    @discardableResult
    func bind(_ values: [SQLiteValue]) throws(StoreError) -> any StoreStatement {
        self.values = values
        return self
    }

    func run() throws(StoreError) { try connection.query(sql, values) }

    func enqueue() throws(StoreError) { try connection.enqueue(sql, values) }

    func enqueueReading(_ read: @escaping (any StoreRow) -> Void) throws(StoreError) {
        try connection.enqueue(sql, values) { result in
            for values in result.rows { read(PostgresRow(values: values)) }
        }
    }

    func rows<T>(_ read: (any StoreRow) throws(StoreError) -> T) throws(StoreError) -> [T] {
        let result = try connection.query(sql, values)
        var rows: [T] = []
        rows.reserveCapacity(result.count)
        for values in result.rows { rows.append(try read(PostgresRow(values: values))) }
        return rows
    }

    func firstRow<T>(_ read: (any StoreRow) throws(StoreError) -> T) throws(StoreError) -> T? {
        let result = try connection.query(sql, values)
        guard let first = result.rows.first else { return nil }
        return try read(PostgresRow(values: first))
    }
}

/// One row in PostgreSQL's text format, read as SQLite's columns are: booleans
/// as 1 and 0 (SQLite has no booleans), bytea from its hex form.
struct PostgresRow: StoreRow {
    let values: [String?]

    func isNull(_ column: Int32) -> Bool { values[Int(column)] == nil }

    func int(_ column: Int32) -> Int64 {
        switch values[Int(column)] {
        case "t"?: return 1
        case "f"?, nil: return 0
        case let text?: return Int64(text) ?? Int64(Double(text) ?? 0)
        }
    }

    func double(_ column: Int32) -> Double { values[Int(column)].flatMap(Double.init) ?? 0 }

    func text(_ column: Int32) -> String { values[Int(column)] ?? "" }

    func blob(_ column: Int32) -> [UInt8] {
        guard let text = values[Int(column)] else { return [] }
        let digits = Array(text.utf8.dropFirst(2))  // "\x" then two hex digits a byte
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index + 1 < digits.count {
            bytes.append((Hex.digitValue(digits[index]) ?? 0) << 4 | (Hex.digitValue(digits[index + 1]) ?? 0))
            index += 2
        }
        return bytes
    }
}
