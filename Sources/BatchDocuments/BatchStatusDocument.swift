public import BatchCodecs
public import BatchModel
public import BatchStore

/// Spec 000's status document (`data` of `GET /v1/batches/{id}`), computed from the
/// batch's counters and error summaries; items are read only for `job_details`,
/// and then only the first page. Also what a completion webhook delivers.
public enum BatchStatusDocument {
    /// The four query parameters of spec 000.
    public struct Options: Sendable, Equatable {
        public var includeJobDetails = false
        public var metricsOnly = false
        public var includeErrors = true
        /// Top-level fields of `data` to keep; nil keeps all.
        public var fields: [String]?

        public init() {}

        public static let parameters: Set<String> = ["include_job_details", "metrics_only", "include_errors", "fields"]
        public static let fieldNames = [
            "batch_id", "batch_name", "status", "progress", "timing", "job_details", "error_summary", "batch_configuration", "notification",
        ]

        /// The options in one canonical spelling, for the cache key: parameter
        /// order, spelled-out defaults and field order give the same string.
        public var cacheQuery: String {
            let names = fields.map { Set($0).sorted().joined(separator: ",") } ?? "*"
            return "j\(includeJobDetails && !metricsOnly ? 1 : 0)m\(metricsOnly ? 1 : 0)e\(includeErrors ? 1 : 0)f\(names)"
        }
    }

    /// How many items `job_details` shows; the rest are paged through results.
    public static let jobDetailsLimit = 100

    /// What an error type means for the client, as spec 000's `resolution`.
    public static func resolution(for errorType: String) -> String {
        switch errorType {
        case "format_error": return "Ensure file is in a supported format"
        case "corrupted_file": return "Verify file integrity and try uploading again"
        case "resource_error": return "Reduce the file below the size limit for its type"
        case "storage_error": return "Upload the file again; if this persists, contact the administrator"
        case "timeout_error": return "Raise the batch timeout or split the work into smaller items"
        case "quota_exceeded": return "Free some quota or ask an administrator to raise it"
        default: return "Retry the failed items with the retry_failed action"
        }
    }

    /// Internal item states in spec 000's words.
    public static func jobStatus(_ state: ItemState) -> String {
        state == .succeeded ? "completed" : state.rawValue
    }

    public static func render(
        _ row: BatchRow, items: [ItemRow]? = nil, errors: [ErrorSummaryRow] = [], options: Options = Options(), now: Timestamp = .now()
    ) -> JSONValue {
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
            "timing": timing(row, now: now),
        ]
        if options.metricsOnly {
            if options.includeErrors {
                data["error_summary"] = .array(errors.map { ["error_type": .string($0.errorType), "count": .integer($0.count)] })
            }
            return .object(filtered(data, options.fields))
        }
        if options.includeJobDetails, let items {
            data["job_details"] = .array(items.map(jobDetail))
            if row.totalItems > items.count {
                data["job_details_note"] = .string(
                    "Showing the first \(items.count) of \(row.totalItems) items; page through /v1/batches/\(row.id)/results for the rest")
            }
        }
        if options.includeErrors {
            data["error_summary"] = errorSummary(errors)
        }
        data["batch_configuration"] = [
            "max_concurrent": .integer(row.configuration.maxConcurrent),
            "priority": .string(row.configuration.priority.rawValue),
            "timeout": .integer(row.configuration.timeoutSeconds),
            "notification_enabled": .bool(row.configuration.notificationURL != nil),
        ]
        if let url = row.configuration.notificationURL {
            data["notification"] = [
                "url": .string(url), "status": .string(row.webhookStatus ?? (row.state.isFinal ? "pending" : "waiting")),
                "attempts": .integer(row.webhookAttempts), "last_error": .optional(row.webhookLastError),
            ]
        }
        return .object(filtered(data, options.fields))
    }

    /// Timestamps, elapsed and average seconds, and an estimate from the average
    /// item time and the batch's concurrency (null when finished or nothing finished yet).
    static func timing(_ row: BatchRow, now: Timestamp) -> JSONValue {
        let timed = row.succeeded + row.failed
        let average: Double? = timed > 0 ? (Double(row.itemTimeMilliseconds) / Double(timed)).rounded() / 1000 : nil
        var elapsed = 0.0
        if let started = row.startedAt {
            elapsed = Double((row.completedAt ?? now).milliseconds - started.milliseconds) / 1000
        }
        var estimate: JSONValue = .null
        if !row.state.isFinal, let average {
            let remaining = Double(row.pending + row.processing)
            let seconds = remaining * average / Double(max(1, row.configuration.maxConcurrent))
            estimate = .string(Timestamp(milliseconds: now.milliseconds + Int64(seconds * 1000)).iso8601)
        }
        return [
            "created_at": .string(row.createdAt.iso8601),
            "started_at": .optional(row.startedAt?.iso8601),
            "updated_at": .string(row.updatedAt.iso8601),
            "completed_at": .optional(row.completedAt?.iso8601),
            "estimated_completion": estimate,
            "elapsed_time": .double((max(0, elapsed) * 10).rounded() / 10),
            "average_item_time": average.map(JSONValue.double) ?? .null,
        ]
    }

    static func jobDetail(_ item: ItemRow) -> JSONValue {
        var object: JSONObject = [
            "job_id": .string(item.id),
            "file_path": .optional(item.filename ?? item.filePath ?? item.customID),
            "media_type": .optional(item.mediaType),
            "status": .string(jobStatus(item.state)),
            "progress": .double(item.state == .succeeded || item.state == .failed ? 100 : 0),
            "started_at": .optional(item.startedAt?.iso8601),
            "completed_at": .optional(item.completedAt?.iso8601),
        ]
        object["error"] = itemError(item)
        return .object(object)
    }

    /// A failed item's `error` (`message`, `code`, `details`), shared by status and results; nil otherwise.
    static func itemError(_ item: ItemRow) -> JSONValue? {
        guard let type = item.errorType else { return nil }
        return [
            "message": .string(item.errorMessage ?? type), "code": .string(type),
            "details": item.errorDetails.flatMap { try? JSONParser.parse($0) } ?? .object(JSONObject()),
        ]
    }

    /// `error_summary` as specs 000 and 001 show it, with a resolution per type.
    static func errorSummary(_ errors: [ErrorSummaryRow]) -> JSONValue {
        .array(
            errors.map { summary in
                [
                    "error_type": .string(summary.errorType), "count": .integer(summary.count),
                    "affected_files": .array(summary.affectedFiles.map(JSONValue.string)), "resolution": .string(resolution(for: summary.errorType)),
                ]
            })
    }

    static func filtered(_ data: JSONObject, _ fields: [String]?) -> JSONObject {
        guard let fields else { return data }
        var kept = JSONObject()
        for (key, value) in data.pairs where fields.contains(key) { kept[key] = value }
        return kept
    }
}
