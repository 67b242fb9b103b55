/// Copies a SQLite store into an empty PostgreSQL one (`batchctl migrate-store`):
/// every table in foreign-key order, every row and column as it is, in one
/// transaction on the destination, so a failure leaves it as it was. The two
/// schemas are the same (`PostgresMigrations` mirrors `Migrations`), which is
/// what lets the copy be generic: columns are read by their declared type.
public enum StoreCopy {
    /// Parents before children.
    public static let tables = [
        "tenants", "api_keys", "batches", "items", "media", "batch_media_counts", "batch_errors", "settings", "idempotency_keys",
        "lease_checks",
    ]

    /// Tables whose `id` the destination numbers itself (PostgreSQL's sequence
    /// would not know of copied numbers, and the next insert would collide).
    static let numberedByDestination: Set<String> = ["lease_checks"]

    /// Copies `source` into `destination` and returns the rows copied per table.
    /// Throws `.conflict` when the destination already holds tenants or batches
    /// (beyond the staging tenant every store has).
    public static func copy(from source: SQLiteConnection, to destination: any StoreConnection) throws(StoreError) -> [(table: String, rows: Int)] {
        let existing =
            try destination.statement("SELECT (SELECT count(*) FROM tenants WHERE id <> ?) + (SELECT count(*) FROM batches)")
            .bind(.text(StagingTenant.id)).firstRow { $0.int(0) } ?? 0
        guard existing == 0 else { throw .conflict("the destination store is not empty (\(existing) tenants and batches); copy into a new database") }
        return try destination.transaction { () throws(StoreError) -> [(table: String, rows: Int)] in
            var copied: [(table: String, rows: Int)] = []
            for table in tables {
                let columns = try source.prepared("SELECT name, upper(type) FROM pragma_table_info(?) ORDER BY cid").bind(.text(table))
                    .rows { (name: $0.text(0), type: $0.text(1)) }
                    .filter { !(Self.numberedByDestination.contains(table) && $0.name == "id") }
                let names = columns.map(\.name).joined(separator: ", ")
                let insert = try destination.statement(
                    "INSERT INTO \(table) (\(names)) VALUES (\(columns.map { _ in "?" }.joined(separator: ", "))) ON CONFLICT DO NOTHING")
                // Row by row, never the whole table in memory.
                let select = try source.prepared("SELECT \(names) FROM \(table)")
                var count = 0
                while try select.step() {
                    let values = columns.indices.map { index -> SQLiteValue in
                        let column = Int32(index)
                        if select.isNull(column) { return .null }
                        switch columns[index].type {
                        case "INTEGER": return .integer(select.int(column))
                        case "BLOB": return .blob(select.blob(column))
                        default: return .text(select.text(column))
                        }
                    }
                    // Sent in pipelines on PostgreSQL, not a round trip a row.
                    try insert.bind(values).enqueue()
                    count += 1
                }
                copied.append((table, count))
            }
            return copied
        }
    }
}
