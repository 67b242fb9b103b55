public import BatchModel

/// Periodic upkeep of batches, run by the scheduler's maintenance thread:
/// items that missed their batch's completion window expire, and finished
/// batches past their retention are purged.
public struct BatchMaintenance {
    let connection: any StoreConnection

    public init(_ connection: any StoreConnection) { self.connection = connection }

    /// Pending items of batches whose `completion_window` has passed become
    /// `expired`; a batch with nothing left running then completes. Returns the
    /// number of items expired.
    @discardableResult
    public func expireOverdue(now: Timestamp = .now()) throws(StoreError) -> Int {
        try connection.transaction {
            () throws(StoreError) -> Int in
            let overdue = try connection.statement(
                """
                SELECT id FROM batches WHERE status IN (\(StateSQL.list(BatchState.finishable))) AND completion_window IS NOT NULL
                    AND n_pending > 0 AND created_at + completion_window * 1000 <= ?
                """
            ).bind(.integer(now.milliseconds)).rows { $0.text(0) }
            var expired = 0
            for batchID in overdue {
                try connection.statement(Self.expireItemsSQL)
                    .bind(.integer(now.milliseconds), .text(batchID)).run()
                let count = connection.changes
                expired += count
                try connection.statement(
                    "UPDATE batches SET n_pending = n_pending - ?1, n_expired = n_expired + ?1, updated_at = ?2, version = version + 1 WHERE id = ?3"
                ).bind(.int(count), .integer(now.milliseconds), .text(batchID)).run()
                try BatchRecords(connection).finishIfDone(batchID: batchID, now: now)
            }
            return expired
        }
    }

    /// Deletes finished batches whose `retention_days` have passed since they
    /// finished, with their items: their ids then answer 404. Returns the ids
    /// purged and the uploaded files they owned, for the caller to remove.
    @discardableResult
    public func purgeExpired(now: Timestamp = .now(), limit: Int = 100) throws(StoreError) -> (batches: [BatchIdentity], blobs: [String]) {
        try connection.transaction {
            () throws(StoreError) -> (batches: [BatchIdentity], blobs: [String]) in
            let due = try connection.statement(
                """
                SELECT tenant_id, id FROM batches WHERE status IN (\(StateSQL.list(BatchState.finals))) AND completed_at IS NOT NULL
                    AND completed_at + retention_days * 86400000 <= ? LIMIT ?
                """
            ).bind(.integer(now.milliseconds), .int(limit)).rows { BatchIdentity(tenantID: $0.text(0), batchID: $0.text(1)) }
            var blobs: [String] = []
            for batch in due { blobs += try BatchRecords(connection).deleteRows(batchID: batch.batchID) }
            return (due, blobs)
        }
    }
}

extension BatchMaintenance {
    /// A batch's items that may still expire do (its states from `ItemState`).
    static let expireItemsSQL =
        "UPDATE items SET status = \(StateSQL.target(of: .expire)), completed_at = ? WHERE batch_id = ? AND \(StateSQL.itemsMovedBy(.expire))"
}
