import BatchModel

/// The counter moves of items leaving their lease without a result (back to
/// pending, or failed for good), gathered per batch during one transaction and
/// written after every item row has moved, batches in id order.
///
/// On PostgreSQL several nodes move items of the same batches at once. Every
/// transaction that waits for locks takes them in one order (item rows, then
/// error summaries, then batch rows by id), so no two can wait for each other:
/// a batch row taken between two item locks deadlocked a rescue with a
/// completion or a crash journal on another node.
struct BatchCounterMoves {
    private var returned: [String: Int] = [:]
    private var failed: [String: Int] = [:]
    /// Per batch, the lowest `seq` back to pending: where its claim cursor goes.
    private var lowestReturned: [String: Int] = [:]

    mutating func returnedToPending(_ batchID: String, seq: Int) {
        returned[batchID, default: 0] += 1
        lowestReturned[batchID] = min(lowestReturned[batchID] ?? seq, seq)
    }
    mutating func failedForGood(_ batchID: String) { failed[batchID, default: 0] += 1 }

    /// The batches with a move, in the order their rows are to be locked.
    var batchIDs: [String] { Set(returned.keys).union(failed.keys).sorted() }

    /// Moves one batch's counters (nothing when it has no move). Items back to
    /// pending also move the batch's claim cursor back to the first of them, so
    /// they are claimed next rather than after the rest of the batch, and the
    /// claim walks from there, not from the batch's start (no index lists the
    /// pending items: the cursor is how claims find them).
    func write(_ batchID: String, on connection: any StoreConnection) throws(StoreError) {
        let (toPending, toFailed) = (returned[batchID] ?? 0, failed[batchID] ?? 0)
        guard toPending + toFailed > 0 else { return }
        try connection.statement(
            """
            UPDATE batches SET n_pending = n_pending + ?1, n_failed = n_failed + ?2, n_processing = n_processing - ?1 - ?2,
                claim_from = CASE WHEN ?4 < claim_from THEN ?4 ELSE claim_from END, version = version + 1
            WHERE id = ?3
            """
        ).bind(.int(toPending), .int(toFailed), .text(batchID), .int(lowestReturned[batchID] ?? Int.max)).enqueue()
    }

    /// Writes every batch's moves, then completes the batches left with nothing to do.
    func writeAll(on connection: any StoreConnection, now: Timestamp) throws(StoreError) {
        for batchID in batchIDs {
            try write(batchID, on: connection)
            try BatchRecords(connection).finishIfDone(batchID: batchID, now: now)
        }
    }
}
