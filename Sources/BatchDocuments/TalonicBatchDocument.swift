public import BatchCodecs
public import BatchModel
public import BatchStore

/// Talonic's "Batch Detail" (spec 004), read like the page: snake_case counts,
/// Talonic's status words, `provider` = the processor, `links.self` = the URL asked
/// for, and the per-item breakdown once the batch is completed.
public enum TalonicBatchDocument {
    /// Items listed in the breakdown at most.
    public static let itemLimit = 1000

    /// Internal states in Talonic's words: `submitted` while queued, running or paused.
    public static func status(_ state: BatchState) -> String {
        switch state {
        case .accumulating: return "accumulating"
        case .queued, .running, .paused: return "submitted"
        case .completed: return "completed"
        case .failed: return "failed"
        case .cancelled: return "cancelled"
        }
    }

    static func itemStatus(_ state: ItemState) -> String {
        switch state {
        case .pending: return "pending"
        case .processing: return "processing"
        case .succeeded: return "completed"
        case .failed, .cancelled, .expired: return "failed"
        }
    }

    public static func render(_ row: BatchRow, items: [ItemRow], selfURL: String) -> JSONValue {
        // Submitted when it left accumulation: at creation unless it accumulated first.
        let submitted: Timestamp? = row.state == .accumulating ? nil : (row.startedAt ?? row.createdAt)
        return [
            "id": .string(row.id),
            "status": .string(status(row.state)),
            "provider": .string(row.processor),
            "item_count": .integer(row.totalItems),
            "succeeded_count": .integer(row.succeeded),
            "errored_count": .integer(row.failed),
            "expired_count": .integer(row.expired),
            "submitted_at": .optional(submitted?.iso8601Milliseconds),
            "completed_at": .optional(row.completedAt?.iso8601Milliseconds),
            "error_message": .optional(row.errorMessage),
            "created_at": .string(row.createdAt.iso8601Milliseconds),
            "updated_at": .string(row.updatedAt.iso8601Milliseconds),
            "links": ["self": .string(selfURL)],
            "items": .array(
                items.map { item in
                    [
                        "id": .string(item.id),
                        "document_id": .string(item.mediaID ?? item.id),
                        "document_filename": .optional(item.filename),
                        "custom_id": .optional(item.customID),
                        "status": .string(itemStatus(item.state)),
                        "error_message": .optional(item.errorMessage ?? (item.state == .expired ? "Expired before it started" : nil)),
                        "created_at": .string(row.createdAt.iso8601Milliseconds),
                        "processed_at": .optional(item.completedAt?.iso8601Milliseconds),
                    ]
                }),
        ]
    }
}
