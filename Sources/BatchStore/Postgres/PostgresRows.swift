import CLibPQ

/// The rows of one PostgreSQL result, copied out of libpq's result (which is
/// freed at once): values in text format, NULL as nil.
public struct PostgresRows: Sendable {
    public let columns: [String]
    public let rows: [[String?]]

    init(_ result: OpaquePointer?) {
        guard let result else {
            columns = []
            rows = []
            return
        }
        let columnCount = PQnfields(result)
        columns = (0..<columnCount).map { String(cString: PQfname(result, $0)) }
        rows = (0..<PQntuples(result)).map { row in
            (0..<columnCount).map { column in
                PQgetisnull(result, row, column) == 1 ? nil : String(cString: PQgetvalue(result, row, column))
            }
        }
    }

    public var count: Int { rows.count }

    /// A value as an integer (nil for NULL or text that is not one).
    public func int(_ row: Int, _ column: Int) -> Int64? { rows[row][column].flatMap { Int64($0) } }

    public func text(_ row: Int, _ column: Int) -> String? { rows[row][column] }
}
