import BatchModel

/// The cursor of the `?state=finished` results view: every finished item of a
/// batch, in the order readers first saw them finished, each exactly once.
///
/// A reader's request seals the batch: it takes the batch's next seal number
/// (holding the batch row) and stamps it on every finished item not stamped yet
/// (`finish_seq`). The view is then the items with a seal after the reader's
/// cursor, up to the new seal, which becomes the next cursor. An item finishing
/// while a seal is taken is simply stamped by the next one, so no item is missed
/// or given twice, on one SQLite file or many PostgreSQL nodes alike, and
/// completions (the hot path) never touch a seal. A retry takes its items' seals
/// away, so a retried item is given again once it finishes again.
public struct FinishSeals {
    let connection: any StoreConnection

    public init(_ connection: any StoreConnection) { self.connection = connection }

    /// Seals every finished, unsealed item of the batch and returns the seal they
    /// got; the current seal when there is nothing to seal (nothing written then).
    /// Finding unsealed items walks the batch's items, once per call.
    public func seal(batchID: String) throws(StoreError) -> Int {
        guard try connection.statement(Self.anyUnsealedSQL).bind(.text(batchID)).firstRow({ _ in true }) != nil else {
            return try current(batchID: batchID)
        }
        return try connection.transaction {
            () throws(StoreError) -> Int in
            guard let seal = try connection.statement(Self.nextSealSQL).bind(.text(batchID)).firstRow({ Int($0.int(0)) }) else { return 0 }
            let stamp = connection.dialect == .postgres ? Self.stampPostgresSQL : Self.stampSQL
            try connection.statement(stamp).bind(.text(batchID), .int(seal)).run()
            return seal
        }
    }

    /// The batch's latest seal (0 before the first).
    public func current(batchID: String) throws(StoreError) -> Int {
        try connection.statement("SELECT finish_seal FROM batches WHERE id = ?").bind(.text(batchID)).firstRow { Int($0.int(0)) } ?? 0
    }

    /// Up to `limit` sealed items after `after` (the last item read: its seal and
    /// seq; `(S, Int.max)` starts after every item of seal S), up to seal
    /// `through`, in seal then creation order; seeks by the `items_sealed`
    /// index, so a download reads each item once.
    public func rows(batchID: String, after: (seal: Int, seq: Int), through: Int, limit: Int) throws(StoreError) -> [(seal: Int, row: ItemResultRow)]
    {
        try connection.statement(
            """
            SELECT \(ItemResultRow.columns), finish_seq FROM items
            WHERE batch_id = ?1 AND finish_seq IS NOT NULL AND finish_seq <= ?4 AND (finish_seq, seq) > (?2, ?3)
            ORDER BY finish_seq, seq LIMIT ?5
            """
        ).bind(.text(batchID), .int(after.seal), .int(after.seq), .int(through), .int(limit)).rows { row in
            (Int(row.int(16)), ItemResultRow(row: row))
        }
    }

    /// A batch's finished items without a seal (`?1`: the batch).
    static let unsealed = "batch_id = ?1 AND finish_seq IS NULL AND status IN (\(StateSQL.list(ItemState.finals)))"
    static let anyUnsealedSQL = "SELECT 1 FROM items WHERE \(unsealed) LIMIT 1"
    static let nextSealSQL = "UPDATE batches SET finish_seal = finish_seal + 1 WHERE id = ?1 RETURNING finish_seal"
    static let stampSQL = "UPDATE items SET finish_seq = ?2 WHERE \(unsealed)"
    /// On PostgreSQL an item another transaction holds (a retry in flight) is
    /// left for the next seal rather than waited for.
    static let stampPostgresSQL = "UPDATE items SET finish_seq = ?2 WHERE id IN (SELECT id FROM items WHERE \(unsealed) FOR UPDATE SKIP LOCKED)"
}
