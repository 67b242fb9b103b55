public import BatchCodecs
public import BatchModel
public import BatchStore

/// Spec 001's results document (`data` of `GET /v1/batches/{id}/results`): the
/// batch's summary and statistics from its counters, and one page of job results
/// read by `(batch_id, seq)`, so each page costs its own size.
public enum BatchResultsDocument {
    public struct Page: Sendable, Equatable {
        public var page = 1
        public var pageSize = 100

        public static let parameters: Set<String> = ["page", "page_size"]

        public init() {}

        /// Items before this page: pages seek past them by sequence number.
        public var offset: Int { (page - 1) * pageSize }
    }

    static func rate(_ part: Int, of whole: Int) -> Double {
        whole == 0 ? 0 : (Double(part) * 1000 / Double(whole)).rounded() / 10
    }

    static func megabytes(_ bytes: Int64) -> Double { (Double(bytes) / 1_048_576 * 100).rounded() / 100 }

    public static func render(
        _ row: BatchRow, items: [ItemRow], media: [(mediaType: String, count: Int)], errors: [ErrorSummaryRow], page: Page, now: Timestamp = .now()
    ) -> JSONValue {
        var duration: JSONValue = .null
        if let started = row.startedAt {
            duration = .double(Double((row.completedAt ?? now).milliseconds - started.milliseconds) / 1000)
        }
        // Every media type the page lists is a key, zero or empty when the batch has none of it.
        var idsByType = JSONObject()
        var byType = JSONObject()
        for type in MediaFormat.mediaTypes {
            idsByType[type] = .array([])
            byType[type] = 0
        }
        for item in items {
            guard let type = item.mediaType, let id = item.mediaID else { continue }
            if case .array(let ids)? = idsByType[type] { idsByType[type] = .array(ids + [.string(id)]) } else { idsByType[type] = [.string(id)] }
        }
        for entry in media { byType[entry.mediaType] = .integer(entry.count) }
        let totalPages = (row.totalItems + page.pageSize - 1) / page.pageSize
        return [
            "batch_summary": [
                "batch_id": .string(row.id),
                "batch_name": .string(row.name),
                "collection": .string(row.collection),
                "status": .string(row.state.nativeName),
                "timeline": [
                    "created_at": .string(row.createdAt.iso8601), "started_at": .optional(row.startedAt?.iso8601),
                    "completed_at": .optional(row.completedAt?.iso8601), "total_duration_seconds": duration,
                ],
                "completion": [
                    "successful": .integer(row.succeeded), "failed": .integer(row.failed), "total_items": .integer(row.totalItems),
                    "completion_rate": .double(rate(row.succeeded, of: row.totalItems)),
                ],
            ],
            "job_results": .array(items.map { jobResult($0, batch: row) }),
            "statistics": [
                "media_distribution": [
                    "by_type": .object(byType),
                    "total_created_media_items": .integer(media.reduce(0) { $0 + $1.count }),
                    "media_ids_by_type": .object(idsByType),
                ],
                "completion": [
                    "successful": .integer(row.succeeded), "failed": .integer(row.failed), "total": .integer(row.totalItems),
                    "success_rate": .double(rate(row.succeeded, of: row.succeeded + row.failed)),
                ],
                "resources": ["total_files_size_bytes": .int(row.totalBytes), "total_files_size_mb": .double(megabytes(row.totalBytes))],
                "error_summary": BatchStatusDocument.errorSummary(errors),
            ],
            "pagination": [
                "page": .integer(page.page), "page_size": .integer(page.pageSize), "total_items": .integer(row.totalItems),
                "total_pages": .integer(totalPages),
            ],
        ]
    }

    /// Internal item states in spec 001's words (`succeeded`, `failed`, …).
    static func jobResult(_ item: ItemRow, batch: BatchRow) -> JSONValue {
        var object: JSONObject = [
            "job_id": .string(item.id),
            "media_id": .optional(item.mediaID),
            "filename": .optional(item.filename ?? item.customID),
            "media_type": .optional(item.mediaType),
            "status": .string(item.state.rawValue),
            "file_info": ["size_bytes": .int(item.sizeBytes), "size_mb": .double(megabytes(item.sizeBytes))],
            "processing_info": [
                "created_at": .string((item.startedAt ?? batch.createdAt).iso8601), "completed_at": .optional(item.completedAt?.iso8601),
            ],
        ]
        object["error"] = BatchStatusDocument.itemError(item)
        return .object(object)
    }
}
