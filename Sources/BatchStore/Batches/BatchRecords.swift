import BatchModel

/// The stored facts of one batch that status documents are computed from:
/// its row, with per-state item counters kept by the transactions that move items.
public struct BatchRow: Sendable, Equatable {
    public var id: String
    public var tenantID: String
    public var name: String
    public var collection: String
    public var processor: String
    public var state: BatchState
    public var createdAt: Timestamp
    public var startedAt: Timestamp?
    public var updatedAt: Timestamp
    public var completedAt: Timestamp?
    public var totalItems: Int
    public var pending: Int
    public var processing: Int
    public var succeeded: Int
    public var failed: Int
    public var cancelled: Int
    public var expired: Int
}

/// Batches in SQLite, always scoped to a tenant: another tenant's batch is
/// indistinguishable from one that does not exist.
public struct BatchRecords {
    let connection: SQLiteConnection

    public init(_ connection: SQLiteConnection) { self.connection = connection }

    public func find(id: String, tenantID: String) throws(StoreError) -> BatchRow? {
        try connection.statement(
            """
            SELECT id, tenant_id, name, collection, processor, status, created_at, started_at, updated_at, completed_at,
                   total_items, n_pending, n_processing, n_succeeded, n_failed, n_cancelled, n_expired
            FROM batches WHERE id = ? AND tenant_id = ?
            """
        ).bind(.text(id), .text(tenantID)).firstRow { row in
            BatchRow(
                id: row.text(0), tenantID: row.text(1), name: row.text(2), collection: row.text(3), processor: row.text(4),
                state: BatchState(rawValue: row.text(5)) ?? .failed, createdAt: Timestamp(milliseconds: row.int(6)),
                startedAt: row.optionalInt(7).map(Timestamp.init(milliseconds:)), updatedAt: Timestamp(milliseconds: row.int(8)),
                completedAt: row.optionalInt(9).map(Timestamp.init(milliseconds:)), totalItems: Int(row.int(10)),
                pending: Int(row.int(11)), processing: Int(row.int(12)), succeeded: Int(row.int(13)), failed: Int(row.int(14)),
                cancelled: Int(row.int(15)), expired: Int(row.int(16)))
        }
    }
}
