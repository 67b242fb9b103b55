public import BatchModel

/// A client's action that the state machine refused: the batch's state and what
/// would have been allowed, for a 409's details.
public struct RefusedAction: Error, Sendable, Equatable {
    public var current: BatchState
    public var allowed: [BatchAction]
}

/// The result of an applied action.
public struct StateChange: Sendable, Equatable {
    public var previous: BatchState
    public var current: BatchState
    public var batch: BatchRow
}

extension BatchRecords {
    /// Applies a client's action in one transaction, with its effect on items and
    /// counters: cancel turns pending and processing items to cancelled (a worker's
    /// late result is then fenced off), retry_failed turns failed and expired items
    /// back to pending. A move the state machine refuses is `.failure`, with what is allowed.
    public func apply(
        _ action: BatchAction, batchID: String, tenantID: String, now: Timestamp = .now()
    ) throws(StoreError) -> Result<StateChange, RefusedAction> {
        // An action that lost a race with another (`.busy`, nothing written) is decided
        // again on the batch's new state: a cancel after a concurrent pause still cancels.
        for _ in 1..<Self.actionTries {
            do {
                return try applyOnce(action, batchID: batchID, tenantID: tenantID, now: now)
            } catch .busy {
                continue
            }
        }
        return try applyOnce(action, batchID: batchID, tenantID: tenantID, now: now)
    }

    /// How often an action is decided before a lost race is answered as busy.
    static let actionTries = 3

    private func applyOnce(
        _ action: BatchAction, batchID: String, tenantID: String, now: Timestamp
    ) throws(StoreError) -> Result<StateChange, RefusedAction> {
        try connection.transaction {
            () throws(StoreError) -> Result<StateChange, RefusedAction> in
            guard let batch = try find(id: batchID, tenantID: tenantID) else { throw .notFound("batch \(batchID)") }
            guard let next = batch.state.applying(action, facts: batch.facts) else {
                return .failure(RefusedAction(current: batch.state, allowed: batch.state.allowedActions(facts: batch.facts)))
            }
            if next == batch.state {
                return .success(StateChange(previous: batch.state, current: next, batch: batch))
            }
            let ms = SQLiteValue.integer(now.milliseconds)
            switch action {
            case .cancel:
                try connection.statement(Self.cancelItemsSQL).bind(ms, .text(batchID)).run()
                try connection.statement(
                    """
                    UPDATE batches SET n_cancelled = n_cancelled + n_pending + n_processing, n_pending = 0, n_processing = 0,
                        completed_at = ? WHERE id = ?
                    """
                ).bind(ms, .text(batchID)).run()
            case .retryFailed:
                try connection.statement(Self.retryItemsSQL).bind(.text(batchID)).run()
                try connection.statement(
                    "UPDATE batches SET n_pending = n_pending + n_failed + n_expired, n_failed = 0, n_expired = 0, completed_at = NULL, claim_from = 0 WHERE id = ?"
                ).bind(.text(batchID)).run()
                try connection.statement("DELETE FROM batch_errors WHERE batch_id = ?").bind(.text(batchID)).run()
            case .pause, .resume, .submit:
                break
            }
            // Only from the state this action was decided on: on PostgreSQL another
            // action may have moved the batch since it was read (the batch row is taken
            // last, after the items, as every transaction takes them), and then this
            // one is refused whole instead of overwriting that move.
            try connection.statement("UPDATE batches SET status = ?, updated_at = ?, version = version + 1 WHERE id = ? AND status = ?")
                .bind(.text(next.rawValue), ms, .text(batchID), .text(batch.state.rawValue)).run()
            guard connection.changes == 1 else { throw .busy }
            try finishIfDone(batchID: batchID, now: now)
            guard let updated = try find(id: batchID) else { throw .notFound("batch \(batchID)") }
            return .success(StateChange(previous: batch.state, current: updated.state, batch: updated))
        }
    }

    /// Completes a queued, running or paused batch that has no pending or
    /// processing item left. Call inside the transaction that moved the last item.
    /// A batch it completes is recorded in `changedBatches` when the answer
    /// arrives: on PostgreSQL it goes with the commit (so the batch row, locked
    /// since the counters moved, is held for no round trip of its own).
    public func finishIfDone(batchID: String, now: Timestamp = .now()) throws(StoreError) {
        let connection = connection
        try connection.statement(Self.finishSQL).bind(.integer(now.milliseconds), .text(batchID)).enqueueReading { row in
            connection.changedBatches[BatchIdentity(tenantID: row.text(1), batchID: batchID)] = Int(row.int(0))
        }
    }
}

// The statements of the moves above, their states from the state machines (`StateSQL`).
extension BatchRecords {
    static let cancelItemsSQL = """
        UPDATE items SET status = \(StateSQL.target(of: .cancel)), completed_at = ?, lease_owner = NULL, lease_until = NULL
        WHERE batch_id = ? AND \(StateSQL.itemsMovedBy(.cancel))
        """

    static let retryItemsSQL = """
        UPDATE items SET status = \(StateSQL.target(of: .retry)), started_at = NULL, completed_at = NULL, duration_ms = NULL, result = NULL,
            error_type = NULL, error_message = NULL, error_details = NULL, finish_seq = NULL
        WHERE batch_id = ? AND \(StateSQL.itemsMovedBy(.retry))
        """

    static let finishSQL = """
        UPDATE batches SET status = \(StateSQL.literal(BatchState.finished)), completed_at = ?1, updated_at = ?1, version = version + 1
        WHERE id = ?2 AND status IN (\(StateSQL.list(BatchState.finishable))) AND n_pending = 0 AND n_processing = 0
        RETURNING version, tenant_id
        """
}
