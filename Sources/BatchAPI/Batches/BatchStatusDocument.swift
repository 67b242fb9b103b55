import BatchModel
import BatchStore

/// The `data` of spec 000's status document, computed from the stored counters
/// alone (no item is read): what `GET /v1/batches/{id}` answers and what a
/// completion webhook delivers.
public enum BatchStatusDocument {
    public static func render(_ row: BatchRow) -> JSONValue {
        let percentage = row.totalItems == 0 ? 0 : (Double(row.finishedItems) * 1000 / Double(row.totalItems)).rounded() / 10
        var data: JSONObject = [
            "batch_id": .string(row.id),
            "batch_name": .string(row.name),
            "status": .string(row.state.nativeName),
            "progress": [
                "percentage": .double(percentage),
                "completed": .integer(row.succeeded),
                "failed": .integer(row.failed),
                "pending": .integer(row.pending),
                "processing": .integer(row.processing),
                "total": .integer(row.totalItems),
            ],
            "timing": [
                "created_at": .string(row.createdAt.iso8601),
                "started_at": .optional(row.startedAt?.iso8601),
                "updated_at": .string(row.updatedAt.iso8601),
                "completed_at": .optional(row.completedAt?.iso8601),
            ],
        ]
        if let url = row.configuration.notificationURL {
            data["notification"] = [
                "url": .string(url), "status": .string(row.webhookStatus ?? (row.state.isFinal ? "pending" : "waiting")),
                "attempts": .integer(row.webhookAttempts), "last_error": .optional(row.webhookLastError),
            ]
        }
        return .object(data)
    }
}
