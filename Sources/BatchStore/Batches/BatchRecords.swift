public import BatchModel

/// The stored facts of one batch that documents are computed from: its row,
/// with per-state item counters kept by the transactions that move items.
public struct BatchRow: Sendable, Equatable {
    public var id: String
    public var tenantID: String
    public var name: String
    public var collection: String
    public var processor: String
    public var state: BatchState
    public var configuration: BatchConfiguration
    public var context: String?
    public var errorMessage: String?
    /// JSON array of `{row, error}`.
    public var validationErrors: String?
    public var version: Int
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
    public var totalBytes: Int64
    /// Summed processing time of finished items, and what processors reported using.
    public var itemTimeMilliseconds: Int64
    public var usage: Usage
    /// Check's `inputFormat` and `methodsConfig`: how items came, and the configuration as sent (JSON).
    public var inputFormat: String
    public var configurationJSON: String
    /// Completion webhook deliveries: attempts so far, `pending`/`delivered`/`failed`, the last error.
    public var webhookAttempts: Int
    public var webhookStatus: String?
    public var webhookLastError: String?

    /// Items in a final state.
    public var finishedItems: Int { succeeded + failed + cancelled + expired }

    public var facts: BatchState.Facts {
        BatchState.Facts(hasStarted: startedAt != nil, retryableItems: failed + expired)
    }
}

/// Batches in SQLite, always scoped to a tenant: another tenant's batch is
/// indistinguishable from one that does not exist.
public struct BatchRecords {
    let connection: any StoreConnection

    public init(_ connection: any StoreConnection) { self.connection = connection }

    static let columns = """
        id, tenant_id, name, collection, processor, status, priority, max_concurrent, timeout_seconds, notification_url,
        completion_window, retention_days, context, error_message, validation_errors, version, created_at, started_at,
        updated_at, completed_at, total_items, n_pending, n_processing, n_succeeded, n_failed, n_cancelled, n_expired, total_bytes,
        webhook_attempts, webhook_status, webhook_last_error, item_time_ms, cost_cents, input_tokens, output_tokens,
        input_format, configuration
        """

    static func read(_ row: any StoreRow) -> BatchRow {
        var configuration = BatchConfiguration()
        configuration.priority = BatchConfiguration.Priority(rank: Int(row.int(6))) ?? .normal
        configuration.maxConcurrent = Int(row.int(7))
        configuration.timeoutSeconds = Int(row.int(8))
        configuration.notificationURL = row.optionalText(9)
        configuration.completionWindowSeconds = row.optionalInt(10).map { Int($0) }
        configuration.retentionDays = Int(row.int(11))
        return BatchRow(
            id: row.text(0), tenantID: row.text(1), name: row.text(2), collection: row.text(3), processor: row.text(4),
            state: BatchState(rawValue: row.text(5)) ?? .failed, configuration: configuration, context: row.optionalText(12),
            errorMessage: row.optionalText(13), validationErrors: row.optionalText(14), version: Int(row.int(15)),
            createdAt: Timestamp(milliseconds: row.int(16)), startedAt: row.optionalInt(17).map(Timestamp.init(milliseconds:)),
            updatedAt: Timestamp(milliseconds: row.int(18)), completedAt: row.optionalInt(19).map(Timestamp.init(milliseconds:)),
            totalItems: Int(row.int(20)), pending: Int(row.int(21)), processing: Int(row.int(22)), succeeded: Int(row.int(23)),
            failed: Int(row.int(24)), cancelled: Int(row.int(25)), expired: Int(row.int(26)), totalBytes: row.int(27),
            itemTimeMilliseconds: row.int(31), usage: Usage(costCents: row.int(32), inputTokens: row.int(33), outputTokens: row.int(34)),
            inputFormat: row.text(35), configurationJSON: row.text(36),
            webhookAttempts: Int(row.int(28)), webhookStatus: row.optionalText(29), webhookLastError: row.optionalText(30))
    }

    public func find(id: String, tenantID: String) throws(StoreError) -> BatchRow? {
        try connection.statement("SELECT \(Self.columns) FROM batches WHERE id = ? AND tenant_id = ?")
            .bind(.text(id), .text(tenantID)).firstRow(Self.read)
    }

    /// A batch by id alone, for the scheduler (which works across tenants).
    public func find(id: String) throws(StoreError) -> BatchRow? {
        try connection.statement("SELECT \(Self.columns) FROM batches WHERE id = ?").bind(.text(id)).firstRow(Self.read)
    }

    /// Filters and a cursor for listing a tenant's batches, newest first.
    public struct ListQuery: Sendable {
        public var states: [BatchState] = []
        public var collection: String?
        public var createdAfter: Timestamp?
        public var createdBefore: Timestamp?
        public var limit: Int = 20
        /// The id of the last batch of the previous page.
        public var after: String?

        public init() {}
    }

    /// One page, newest first, and whether more follow. Seeks by (created_at, id):
    /// each page costs its own size, however many batches the tenant has.
    public func list(tenantID: String, _ query: ListQuery) throws(StoreError) -> (rows: [BatchRow], hasMore: Bool) {
        var sql = "SELECT \(Self.columns) FROM batches WHERE tenant_id = ?"
        var values: [SQLiteValue] = [.text(tenantID)]
        if !query.states.isEmpty {
            sql += " AND status IN (" + query.states.map { _ in "?" }.joined(separator: ",") + ")"
            values += query.states.map { .text($0.rawValue) }
        }
        if let collection = query.collection {
            sql += " AND collection = ?"
            values.append(.text(collection))
        }
        if let after = query.createdAfter {
            sql += " AND created_at > ?"
            values.append(.integer(after.milliseconds))
        }
        if let before = query.createdBefore {
            sql += " AND created_at < ?"
            values.append(.integer(before.milliseconds))
        }
        if let cursor = query.after {
            // Unknown or foreign cursors match nothing rather than restarting the list.
            sql += " AND (created_at, id) < (SELECT created_at, id FROM batches WHERE id = ? AND tenant_id = ?)"
            values += [.text(cursor), .text(tenantID)]
        }
        sql += " ORDER BY created_at DESC, id DESC LIMIT ?"
        values.append(.int(query.limit + 1))
        var rows = try connection.statement(sql).bind(values).rows(Self.read)
        let hasMore = rows.count > query.limit
        if hasMore { rows.removeLast() }
        return (rows, hasMore)
    }
}
