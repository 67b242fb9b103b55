import BatchModel

#if canImport(Glibc)
import Glibc
#endif

/// Turns the JSON body of `POST /v1/batches` (and of `POST …/items`) into a
/// `NewBatch`. A body that is not what the API describes is a 400 naming the
/// field; a row that fails validation becomes a `RowError` instead (Check's
/// behaviour: the batch is stored failed and reported, not refused).
public struct BatchRequestParser {
    public let limits: BatchLimits

    public init(limits: BatchLimits) { self.limits = limits }

    public func parseCreate(_ object: JSONObject) throws(APIError) -> NewBatch {
        let body = BodyFields(object)
        try body.allowOnly(["batch_name", "collection", "processor", "items", "configuration", "context", "submit", "force_overwrite"])
        let name = try body.string("batch_name") ?? ""
        try NameRules.check(name, field: "batch_name", characters: 0...200)
        let collection = try body.string("collection") ?? "default"
        try NameRules.check(collection, field: "collection", characters: 1...100)
        let processor = try body.string("processor") ?? "ingest"
        let submit = try bool(body, "submit") ?? true
        let forceOverwrite = try bool(body, "force_overwrite") ?? false
        let configuration = try parseConfiguration(try body.nested("configuration"))
        let context = try contextValue(object["context"], field: "context")
        let (items, errors, rows) = try parseItems(object["items"], required: submit)
        var batch = NewBatch(
            name: name, collection: collection, processor: processor, configuration: configuration, context: context, items: items,
            validationErrors: errors, rowCount: rows, submit: submit, forceOverwrite: forceOverwrite)
        batch.configurationJSON = object["configuration"]
        if !limits.processors.contains(processor) {
            batch.batchError = "Unknown processor '\(processor)'; available: \(limits.processors.sorted().joined(separator: ", "))"
        }
        return batch
    }

    /// The items of an append request: `{"items": [...]}`. Row errors refuse the
    /// whole append (an accumulating batch has no failed state to report them in).
    public func parseAppend(_ object: JSONObject) throws(APIError) -> [NewItem] {
        try BodyFields(object).allowOnly(["items"])
        let (items, errors, _) = try parseItems(object["items"], required: true)
        if !errors.isEmpty {
            throw APIError(
                .validationError, "\(errors.count) validation error(s)",
                details: ["validation_errors": .array(errors.map(\.json))])
        }
        return items
    }

    func parseItems(_ value: JSONValue?, required: Bool) throws(APIError) -> ([NewItem], [RowError], Int) {
        guard let value, !value.isNull else {
            if required { throw .invalidField("items", "is required") }
            return ([], [], 0)
        }
        guard case .array(let rows) = value else { throw .invalidField("items", "must be an array") }
        if required, rows.isEmpty { throw .invalidField("items", "must hold at least one item") }
        if rows.count > limits.maxItems {
            throw APIError(
                .payloadTooLarge, "A batch holds at most \(limits.maxItems) items; this request has \(rows.count)",
                details: ["limit_items": .integer(limits.maxItems), "items": .integer(rows.count)])
        }
        var items: [NewItem] = []
        var errors: [RowError] = []
        var seenCustomIDs: [String: Int] = [:]
        for (index, row) in rows.enumerated() {
            let number = index + 1
            guard case .object(let fields) = row else {
                // Row bodies (CSV, NDJSON) hand their unreadable rows over as a reason.
                errors.append(RowError(row: number, error: row.stringValue ?? "item must be an object"))
                continue
            }
            let item = BodyFields(fields, path: "items[\(index)]")
            try item.allowOnly(["content", "content_base64", "file_path", "filename", "custom_id", "context"])
            let customID = try item.string("custom_id")
            if let customID {
                try NameRules.check(customID, field: "items[\(index)].custom_id", characters: 1...256)
                if let first = seenCustomIDs[customID] {
                    throw APIError(
                        .validationError, "Duplicate custom_id '\(customID)' in rows \(first) and \(number)",
                        details: ["custom_id": .string(customID), "rows": [.integer(first), .integer(number)]])
                }
                seenCustomIDs[customID] = number
            }
            let filename = try item.string("filename")
            if let filename { try NameRules.check(filename, field: "items[\(index)].filename", characters: 1...NameRules.maxFilenameCharacters) }
            let context = try contextValue(fields["context"], field: "items[\(index)].context")
            let sources = ["content", "content_base64", "file_path"].filter { fields[$0] != nil && fields[$0] != .null }
            guard sources.count == 1 else {
                errors.append(RowError(row: number, error: sources.isEmpty ? "empty content" : "give only one of content, content_base64 and file_path"))
                continue
            }
            var newItem = NewItem(filename: filename, customID: customID, context: context, row: number)
            switch sources[0] {
            case "content":
                let text = try item.requiredString("content")
                newItem.content = Array(text.utf8)
            case "content_base64":
                guard let bytes = Base64.decode(try item.requiredString("content_base64")) else {
                    errors.append(RowError(row: number, error: "bad base64 in content_base64"))
                    continue
                }
                newItem.content = bytes
            default:
                newItem.filePath = try resolveFilePath(try item.requiredString("file_path"), field: "items[\(index)].file_path")
            }
            if let content = newItem.content {
                if content.isEmpty {
                    errors.append(RowError(row: number, error: "empty content"))
                    continue
                }
                if content.count > limits.maxItemBytes {
                    errors.append(RowError(row: number, error: "content of \(content.count) bytes is over the limit of \(limits.maxItemBytes) bytes"))
                    continue
                }
            }
            items.append(newItem)
        }
        return (items, errors, rows.count)
    }

    func parseConfiguration(_ fields: BodyFields?) throws(APIError) -> BatchConfiguration {
        var configuration = BatchConfiguration()
        guard let fields else { return configuration }
        try fields.allowOnly(["max_concurrent", "priority", "timeout", "notification_url", "completion_window", "retention_days"])
        if let value = try fields.int("max_concurrent", in: 1...1000) { configuration.maxConcurrent = Int(value) }
        if let text = try fields.string("priority") {
            guard let priority = BatchConfiguration.Priority(rawValue: text) else {
                throw .invalidField("configuration.priority", "must be low, normal or high")
            }
            configuration.priority = priority
        }
        if let value = try fields.int("timeout", in: 1...86_400) { configuration.timeoutSeconds = Int(value) }
        configuration.notificationURL = try fields.string("notification_url")
        if let value = fields.object["completion_window"], !value.isNull {
            let seconds = value.intValue.map(Int.init) ?? value.stringValue.flatMap(BatchConfiguration.seconds(fromDuration:))
            guard let seconds else { throw .invalidField("configuration.completion_window", "must be seconds or a duration such as \"24h\"") }
            configuration.completionWindowSeconds = seconds
        }
        if let value = try fields.int("retention_days", in: 1...3650) { configuration.retentionDays = Int(value) }
        if let problem = configuration.problems.first { throw .invalidField("configuration." + problem.field, problem.reason) }
        return configuration
    }

    func contextValue(_ value: JSONValue?, field: String) throws(APIError) -> JSONValue? {
        guard let value, !value.isNull else { return nil }
        guard case .object(let object) = value else { throw .invalidField(field, "must be an object") }
        guard object.pairs.count <= limits.maxContextKeys else { throw .invalidField(field, "may have at most \(limits.maxContextKeys) keys") }
        return value
    }

    func bool(_ fields: BodyFields, _ key: String) throws(APIError) -> Bool? {
        guard let value = fields.object[key], !value.isNull else { return nil }
        guard let bool = value.boolValue else { throw .invalidField(key, "must be true or false") }
        return bool
    }

    /// A `file_path` relative to the ingest root that stays inside it, also
    /// through symlinks. Anything else is a 400: it must never read outside.
    func resolveFilePath(_ path: String, field: String) throws(APIError) -> String {
        guard let root = limits.ingestRoot else { throw .invalidField(field, "file_path is not enabled on this server (no ingest root)") }
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        if path.hasPrefix("/") || parts.isEmpty || parts.contains("..") || path.utf8.contains(0) {
            throw .invalidField(field, "must be a relative path inside the ingest root")
        }
        guard let realRoot = realpath(root, nil) else { throw .invalidField(field, "the ingest root is not available") }
        defer { free(realRoot) }
        let rootPath = String(cString: realRoot)
        guard let resolved = realpath(rootPath + "/" + parts.joined(separator: "/"), nil) else {
            throw .invalidField(field, "no such file in the ingest root: \(path)")
        }
        defer { free(resolved) }
        let full = String(cString: resolved)
        guard full.hasPrefix(rootPath + "/") else { throw .invalidField(field, "must be a relative path inside the ingest root") }
        return full
    }
}
