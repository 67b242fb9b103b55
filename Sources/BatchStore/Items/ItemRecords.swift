import BatchCodecs
public import BatchModel

/// One item as documents show it.
public struct ItemRow: Sendable, Equatable {
    public var id: String
    public var seq: Int
    public var customID: String?
    public var filename: String?
    public var filePath: String?
    public var mediaType: String?
    public var state: ItemState
    public var startedAt: Timestamp?
    public var completedAt: Timestamp?
    public var durationMilliseconds: Int64?
    public var errorType: String?
    public var errorMessage: String?
    /// JSON text of the error's details.
    public var errorDetails: String?
    public var mediaID: String?
    public var sizeBytes: Int64
}

/// An error type's summary for a batch: how many items, up to ten of their names.
public struct ErrorSummaryRow: Sendable, Equatable {
    public var errorType: String
    public var count: Int
    public var affectedFiles: [String]
}

/// Reading a batch's items and error summaries, in creation order, seeking by
/// `(batch_id, seq)` so a page costs its size whatever the batch's.
public struct ItemRecords {
    let connection: any StoreConnection

    public init(_ connection: any StoreConnection) { self.connection = connection }

    public func page(batchID: String, afterSeq: Int = 0, limit: Int) throws(StoreError) -> [ItemRow] {
        try connection.statement(
            """
            SELECT id, seq, custom_id, filename, file_path, media_type, status, started_at, completed_at, duration_ms,
                   error_type, error_message, error_details, media_id, size_bytes
            FROM items WHERE batch_id = ? AND seq > ? ORDER BY seq LIMIT ?
            """
        ).bind(.text(batchID), .int(afterSeq), .int(limit)).rows { row in
            ItemRow(
                id: row.text(0), seq: Int(row.int(1)), customID: row.optionalText(2), filename: row.optionalText(3), filePath: row.optionalText(4),
                mediaType: row.optionalText(5), state: ItemState(rawValue: row.text(6)) ?? .failed,
                startedAt: row.optionalInt(7).map(Timestamp.init(milliseconds:)), completedAt: row.optionalInt(8).map(Timestamp.init(milliseconds:)),
                durationMilliseconds: row.optionalInt(9), errorType: row.optionalText(10), errorMessage: row.optionalText(11),
                errorDetails: row.optionalText(12), mediaID: row.optionalText(13), sizeBytes: row.int(14))
        }
    }

    /// Media created by a batch, per media type (kept with the items that made them).
    public func mediaCounts(batchID: String) throws(StoreError) -> [(mediaType: String, count: Int)] {
        try connection.statement("SELECT media_type, count FROM batch_media_counts WHERE batch_id = ? ORDER BY media_type")
            .bind(.text(batchID)).rows { (mediaType: $0.text(0), count: Int($0.int(1))) }
    }

    public func errorSummary(batchID: String) throws(StoreError) -> [ErrorSummaryRow] {
        try connection.statement("SELECT error_type, count, affected_files FROM batch_errors WHERE batch_id = ? ORDER BY count DESC, error_type")
            .bind(.text(batchID)).rows { row in
                let files =
                    (try? JSONParser.parse(row.text(2))).flatMap { value -> [String]? in
                        if case .array(let items) = value { return items.compactMap(\.stringValue) }
                        return nil
                    } ?? []
                return ErrorSummaryRow(errorType: row.text(0), count: Int(row.int(1)), affectedFiles: files)
            }
    }
}
