public import BatchCodecs
public import BatchModel
public import BatchStore

/// Check's "Get Batch" (spec 002), read like the page: camelCase fields, Check's
/// status words, sums of what processors reported, `expiresAt` when results go.
public enum CheckBatchDocument {
    /// Internal states in Check's words: `processing` while queued, running or paused.
    public static func status(_ state: BatchState) -> String {
        switch state {
        case .accumulating: return "pending"
        case .queued, .running, .paused: return "processing"
        case .completed: return "completed"
        case .failed: return "failed"
        case .cancelled: return "cancelled"
        }
    }

    public static func render(_ row: BatchRow) -> JSONValue {
        [
            "id": .string(row.id),
            "name": .string(row.name),
            "inputFormat": .string(row.inputFormat),
            "originalFileName": .null,
            "status": .string(status(row.state)),
            "totalItems": .integer(row.totalItems),
            "processedItems": .integer(row.finishedItems),
            "successCount": .integer(row.succeeded),
            "failureCount": .integer(row.failed + row.expired),
            "methodsConfig": .object(methodsConfig(row.configurationJSON)),
            // An object, as on the page, even when the client sent none.
            "context": row.context.flatMap { try? JSONParser.parse($0) } ?? .object(JSONObject()),
            "totalCostCents": .int(row.usage.costCents),
            "totalInputTokens": .int(row.usage.inputTokens),
            "totalOutputTokens": .int(row.usage.outputTokens),
            "errorMessage": .optional(row.errorMessage),
            "validationErrors": row.validationErrors.flatMap { try? JSONParser.parse($0) } ?? .null,
            "createdAt": .string(row.createdAt.iso8601),
            "startedAt": .optional(row.startedAt?.iso8601),
            "completedAt": .optional(row.completedAt?.iso8601),
            "expiresAt": .string(Timestamp(milliseconds: row.createdAt.milliseconds + Int64(row.configuration.retentionDays) * 86_400_000).iso8601),
        ]
    }

    /// Check's method weights as the page shows them, with what the client sent on top.
    public static let defaultMethodsConfig: JSONObject = ["reasoning": 1, "tool": 0.5]

    /// The batch's configuration over `defaultMethodsConfig`: every key the page
    /// shows is there whether or not the client sent it.
    static func methodsConfig(_ configurationJSON: String) -> JSONObject {
        var merged = defaultMethodsConfig
        if case .object(let sent)? = try? JSONParser.parse(configurationJSON) {
            for (key, value) in sent.pairs { merged[key] = value }
        }
        return merged
    }
}
