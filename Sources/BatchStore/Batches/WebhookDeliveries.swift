public import BatchModel

/// The completion webhooks still to deliver: finished batches with a
/// `notification_url` whose delivery has neither succeeded nor given up.
public struct WebhookDeliveries {
    let connection: any StoreConnection

    public init(_ connection: any StoreConnection) { self.connection = connection }

    /// Finished batches whose next delivery attempt is due.
    public func due(now: Timestamp = .now(), limit: Int = 20) throws(StoreError) -> [BatchRow] {
        try connection.statement(
            """
            SELECT \(BatchRecords.columns) FROM batches
            WHERE status IN (\(StateSQL.list(BatchState.finals))) AND notification_url IS NOT NULL
                AND coalesce(webhook_status, 'pending') = 'pending' AND coalesce(webhook_next_at, 0) <= ?
            ORDER BY coalesce(webhook_next_at, 0) LIMIT ?
            """
        ).bind(.integer(now.milliseconds), .int(limit)).rows(BatchRecords.read)
    }

    /// Records one attempt: delivered, or failed with its error and when to try
    /// again (nil: give up, status `failed`).
    public func record(batchID: String, delivered: Bool, error: String?, retryAt: Timestamp?, now: Timestamp = .now()) throws(StoreError) {
        let status = delivered ? "delivered" : (retryAt == nil ? "failed" : "pending")
        try connection.transaction {
            () throws(StoreError) in
            let changed = try connection.statement(
                """
                UPDATE batches SET webhook_attempts = webhook_attempts + 1, webhook_status = ?, webhook_last_error = ?,
                    webhook_next_at = ?, version = version + 1 WHERE id = ?
                RETURNING version, tenant_id
                """
            ).bind(.text(status), .optionalText(error), retryAt.map { .integer($0.milliseconds) } ?? .null, .text(batchID)).firstRow {
                (Int($0.int(0)), $0.text(1))
            }
            // The status document shows the delivery: cached copies must go.
            if let (version, tenantID) = changed { connection.changedBatches[BatchIdentity(tenantID: tenantID, batchID: batchID)] = version }
        }
    }
}
