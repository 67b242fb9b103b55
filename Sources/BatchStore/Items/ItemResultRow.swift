import BatchCodecs
public import BatchModel

/// One item as a results download shows it: its outcome, result and usage.
public struct ItemResultRow: Sendable, Equatable {
    public var id: String
    public var seq: Int
    public var customID: String?
    public var filename: String?
    public var state: ItemState
    public var startedAt: Timestamp?
    public var completedAt: Timestamp?
    public var durationMilliseconds: Int64?
    /// JSON text of the processor's result.
    public var result: String?
    public var errorType: String?
    public var errorMessage: String?
    /// JSON text of the error's details.
    public var errorDetails: String?
    public var mediaID: String?
    public var costCents: Int64
    public var inputTokens: Int64
    public var outputTokens: Int64
}

extension ItemRecords {
    /// Up to `limit` items after `afterSeq` in creation order, only those in
    /// `states` when given; seeks by `(batch_id, seq)`, so a download reads each
    /// item once however many pages it takes.
    public func resultRows(batchID: String, afterSeq: Int, limit: Int, states: [ItemState]? = nil) throws(StoreError) -> [ItemResultRow] {
        let filter = states.map { " AND status IN (\(StateSQL.list($0)))" } ?? ""
        return try connection.statement(
            "SELECT \(ItemResultRow.columns) FROM items WHERE batch_id = ? AND seq > ?\(filter) ORDER BY seq LIMIT ?"
        ).bind(.text(batchID), .int(afterSeq), .int(limit)).rows(ItemResultRow.init(row:))
    }
}

extension ItemResultRow {
    /// What a results line needs, in the order `init(row:)` reads it.
    static let columns = """
        id, seq, custom_id, filename, status, started_at, completed_at, duration_ms, result,
        error_type, error_message, error_details, media_id, cost_cents, input_tokens, output_tokens
        """

    init(row: any StoreRow) {
        self.init(
            id: row.text(0), seq: Int(row.int(1)), customID: row.optionalText(2), filename: row.optionalText(3),
            state: ItemState(rawValue: row.text(4)) ?? .failed, startedAt: row.optionalInt(5).map(Timestamp.init(milliseconds:)),
            completedAt: row.optionalInt(6).map(Timestamp.init(milliseconds:)), durationMilliseconds: row.optionalInt(7),
            result: row.optionalText(8),
            errorType: row.optionalText(9), errorMessage: row.optionalText(10), errorDetails: row.optionalText(11), mediaID: row.optionalText(12),
            costCents: row.int(13), inputTokens: row.int(14), outputTokens: row.int(15))
    }
}

extension ItemRecords {
    /// The last seq of the batch's finished prefix after `afterSeq`: every item
    /// up to it is in a final state, the next one is not (or there is none).
    /// Walks the items in creation order from `afterSeq`, so it costs what the
    /// prefix's download costs; `afterSeq` when nothing after it is finished.
    public func finishedPrefixEnd(batchID: String, afterSeq: Int) throws(StoreError) -> Int {
        let unfinished = ItemState.allCases.filter { !$0.isFinal }
        if let first = try connection.statement(
            "SELECT seq FROM items WHERE batch_id = ? AND seq > ? AND status IN (\(StateSQL.list(unfinished))) ORDER BY seq LIMIT 1"
        ).bind(.text(batchID), .int(afterSeq)).firstRow({ Int($0.int(0)) }) {
            return max(afterSeq, first - 1)
        }
        return try lastSeq(batchID: batchID, atLeast: afterSeq)
    }

    /// The batch's last item's seq (`atLeast` when it has none past that).
    public func lastSeq(batchID: String, atLeast floor: Int) throws(StoreError) -> Int {
        let last = try connection.statement("SELECT max(seq) FROM items WHERE batch_id = ?").bind(.text(batchID)).firstRow { $0.optionalInt(0) }
        return max(floor, Int(last.flatMap { $0 } ?? 0))
    }
}
