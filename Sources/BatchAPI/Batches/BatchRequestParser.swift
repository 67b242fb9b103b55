public import BatchCodecs
public import BatchModel

#if canImport(Glibc)
    import Glibc
#endif

/// Turns the JSON body of `POST /v1/batches` (and of `POST …/items`) into a
/// `NewBatch`. A body that is not what the API describes is a 400 naming the
/// field; a row that fails validation becomes a `RowError` instead (Check's
/// behaviour: the batch is stored failed and reported, not refused).
public struct BatchRequestParser: Sendable {
    public let limits: BatchLimits

    public init(limits: BatchLimits) { self.limits = limits }

    /// A create body's top-level fields.
    static let createFields: Set<String> = [
        "batch_name", "collection", "processor", "items", "configuration", "context", "submit", "force_overwrite",
    ]
    /// The fields of its `configuration`; those given as text (the rest are whole numbers).
    static let configurationFields: Set<String> = [
        "max_concurrent", "priority", "timeout", "notification_url", "completion_window", "retention_days",
    ]
    static let textConfigurationFields: Set<String> = ["priority", "notification_url", "completion_window"]
    /// What a create's query string may set: every option of the body but the
    /// items, their shared context, and the configuration object (its fields come one by one).
    static let queryOptionNames = createFields.subtracting(["items", "context", "configuration"]).union(configurationFields)

    /// `deferredItems`: the `items` array left in the body by
    /// `JSONParser.parse(_:deferringArrayAt:)`, read from there instead of `object`.
    public func parseCreate(_ object: JSONObject, deferredItems: JSONLazyArray? = nil) throws(APIError) -> NewBatch {
        let body = BodyFields(object)
        try body.allowOnly(Self.createFields)
        let name = try body.string("batch_name") ?? ""
        try NameRules.check(name, field: "batch_name", characters: 0...200)
        let collection = try body.string("collection") ?? "default"
        try NameRules.check(collection, field: "collection", characters: 1...100)
        let processor = try body.string("processor") ?? "ingest"
        let submit = try bool(body, "submit") ?? true
        let forceOverwrite = try bool(body, "force_overwrite") ?? false
        let configuration = try parseConfiguration(try body.nested("configuration"))
        let context = try contextValue(object["context"], field: "context")
        let (items, errors, rows) = try parseItems(object["items"], deferred: deferredItems, required: submit)
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
    public func parseAppend(_ object: JSONObject, deferredItems: JSONLazyArray? = nil) throws(APIError) -> NewItems {
        try BodyFields(object).allowOnly(["items"])
        let (items, errors, _) = try parseItems(object["items"], deferred: deferredItems, required: true)
        if !errors.isEmpty {
            throw APIError(
                .validationError, "\(errors.count) validation error(s)",
                details: ["validation_errors": .array(errors.map(\.json))])
        }
        return items
    }

    /// The rows of `items`: a parsed array, or one left in the body to be read a row at a time.
    enum ItemRows {
        case held([JSONValue])
        case deferred(JSONLazyArray)

        var count: Int {
            switch self {
            case .held(let rows): return rows.count
            case .deferred(let rows): return rows.count
            }
        }

        func forEach<E: Error>(_ body: (Int, JSONValue) throws(E) -> Void) throws(E) {
            switch self {
            case .held(let rows): for (index, row) in rows.enumerated() { try body(index, row) }
            case .deferred(let rows): try rows.forEach(body)
            }
        }
    }

    /// Validates every row of `items`. Rows left in the body (`deferred`) are read
    /// once here and again each time the returned items are walked, never all at once.
    func parseItems(_ value: JSONValue?, deferred: JSONLazyArray? = nil, required: Bool) throws(APIError) -> (NewItems, [RowError], Int) {
        let rows: ItemRows
        if let deferred {
            rows = .deferred(deferred)
        } else {
            guard let value, !value.isNull else {
                if required { throw .invalidField("items", "is required") }
                return ([], [], 0)
            }
            guard case .array(let array) = value else { throw .invalidField("items", "must be an array") }
            rows = .held(array)
        }
        if required, rows.count == 0 { throw .invalidField("items", "must hold at least one item") }
        if rows.count > limits.maxItems {
            throw APIError(
                .payloadTooLarge, "A batch holds at most \(limits.maxItems) items; this request has \(rows.count)",
                details: ["limit_items": .integer(limits.maxItems), "items": .integer(rows.count)])
        }
        var held: [NewItem] = []
        var errors: [RowError] = []
        var seenCustomIDs: CustomIDRegistry? = CustomIDRegistry { row in
            var found: JSONValue?
            switch rows {
            case .held(let rows): found = rows.indices.contains(row - 1) ? rows[row - 1] : nil
            case .deferred(let rows):
                struct Found: Error {}
                try? rows.forEach { (index, value) throws(Found) in
                    if index == row - 1 {
                        found = value
                        throw Found()
                    }
                }
            }
            return found?["custom_id"]?.stringValue
        }
        var count = 0
        var bytes: Int64 = 0
        try rows.forEach { (index, row) throws(APIError) in
            switch try item(at: index, row, seenCustomIDs: &seenCustomIDs) {
            case .rejected(let error):
                errors.append(error)
            case .item(let item):
                count += 1
                bytes += Int64(item.sizeBytes)
                if case .held = rows { held.append(item) }
            }
        }
        guard case .deferred(let array) = rows else { return (NewItems(held), errors, rows.count) }
        let produce: @Sendable ((NewItem) -> Bool) -> Void = { [self] emit in
            struct Stop: Error {}
            var unchecked: CustomIDRegistry? = nil
            try? array.forEach { (index, row) throws(Stop) in
                // Every row was checked above and custom ids found unique: a throw
                // here means the same bytes read differently, and ends the walk.
                guard let result = try? item(at: index, row, seenCustomIDs: &unchecked) else { throw Stop() }
                if case .item(let item) = result, !emit(item) { throw Stop() }
            }
        }
        return (NewItems(count: count, totalBytes: bytes, produce: produce), errors, rows.count)
    }

    /// A row as an item, or why it is not one.
    enum RowOutcome {
        case item(NewItem)
        case rejected(RowError)
    }

    /// One row as an item, or why it is not one. Errors that refuse the whole
    /// request (an unknown field, a bad name, a repeated custom id) are thrown.
    /// `seenCustomIDs` remembers custom ids by row; nil skips that check.
    private func item(at index: Int, _ row: JSONValue, seenCustomIDs: inout CustomIDRegistry?) throws(APIError) -> RowOutcome {
        let number = index + 1
        guard case .object(let fields) = row else {
            // Row bodies (CSV, NDJSON) hand their unreadable rows over as a reason.
            return .rejected(RowError(row: number, error: row.stringValue ?? "item must be an object"))
        }
        let item = BodyFields(fields, path: "items[\(index)]")
        try item.allowOnly(["content", "content_base64", "file_path", "filename", "custom_id", "context"])
        let customID = try item.string("custom_id")
        if let customID {
            try NameRules.check(customID, field: "items[\(index)].custom_id", characters: 1...256)
            if let first = seenCustomIDs?.earlierRow(giving: customID, row: number) {
                throw APIError(
                    .validationError, "Duplicate custom_id '\(customID)' in rows \(first) and \(number)",
                    details: ["custom_id": .string(customID), "rows": [.integer(first), .integer(number)]])
            }
        }
        let filename = try item.string("filename")
        if let filename { try NameRules.check(filename, field: "items[\(index)].filename", characters: 1...NameRules.maxFilenameCharacters) }
        let context = try contextValue(fields["context"], field: "items[\(index)].context")
        let sources = ["content", "content_base64", "file_path"].filter { fields[$0] != nil && fields[$0] != .null }
        guard sources.count == 1 else {
            return .rejected(
                RowError(row: number, error: sources.isEmpty ? "empty content" : "give only one of content, content_base64 and file_path"))
        }
        var newItem = NewItem(filename: filename, customID: customID, context: context, row: number)
        switch sources[0] {
        case "content":
            let text = try item.requiredString("content")
            newItem.content = Array(text.utf8)
        case "content_base64":
            guard let bytes = Base64.decode(try item.requiredString("content_base64")) else {
                return .rejected(RowError(row: number, error: "bad base64 in content_base64"))
            }
            newItem.content = bytes
        default:
            newItem.filePath = try resolveFilePath(try item.requiredString("file_path"), field: "items[\(index)].file_path")
        }
        if let content = newItem.content {
            if content.isEmpty { return .rejected(RowError(row: number, error: "empty content")) }
            if content.count > limits.maxItemBytes {
                return .rejected(RowError(row: number, error: "content of \(content.count) bytes is over the limit of \(limits.maxItemBytes) bytes"))
            }
        }
        return .item(newItem)
    }

    /// The options of a create's query (`RowBodyParser.options`), each checked as the
    /// body's would be, whether or not the body gives its own: a bad option is a 400
    /// whatever else the request says.
    public func queryOptions(_ query: QueryParameters) throws(APIError) -> JSONObject {
        let options = try RowBodyParser.options(query)
        if let name = options["batch_name"]?.stringValue { try NameRules.check(name, field: "batch_name", characters: 0...200) }
        if let collection = options["collection"]?.stringValue { try NameRules.check(collection, field: "collection", characters: 1...100) }
        if case .object(let configuration)? = options["configuration"] {
            _ = try parseConfiguration(BodyFields(configuration, path: "configuration"))
        }
        return options
    }

    func parseConfiguration(_ fields: BodyFields?) throws(APIError) -> BatchConfiguration {
        var configuration = BatchConfiguration()
        guard let fields else { return configuration }
        try fields.allowOnly(Self.configurationFields)
        if let value = try fields.int("max_concurrent", in: 1...1000) { configuration.maxConcurrent = Int(value) }
        if let text = try fields.string("priority") {
            guard let priority = BatchConfiguration.Priority(rawValue: text) else {
                throw .invalidField("configuration.priority", "must be low, normal or high")
            }
            configuration.priority = priority
        }
        if let value = try fields.int("timeout", in: 1...86_400) { configuration.timeoutSeconds = Int(value) }
        configuration.notificationURL = try fields.string("notification_url")
        if let url = configuration.notificationURL, case .failure(let refusal) = limits.webhooks.check(url) {
            throw .invalidField("configuration.notification_url", refusal.description)
        }
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

    /// A `file_path` beneath the ingest root, as it is stored: relative to the
    /// root, normalized. It must open as `RootedFile` opens it when the item runs
    /// (no symlink at any step, a regular file); anything else is a 400. The open
    /// when the item runs is what keeps it inside: the file may change meanwhile.
    func resolveFilePath(_ path: String, field: String) throws(APIError) -> String {
        guard let root = limits.ingestRoot else {
            // The server's policy, not the request's form: 403, as the contract says.
            throw APIError(
                .forbidden, "Invalid value for field '\(field)': \(RootedFile.Failure.noIngestRoot)",
                details: ["field": .string(field), "error": .string(RootedFile.Failure.noIngestRoot.description)])
        }
        guard let parts = RootedFile.components(path) else { throw .invalidField(field, RootedFile.Failure.invalidPath.description) }
        let relative = parts.joined(separator: "/")
        switch RootedFile(ingestRoot: root).open(relative, beneath: root) {
        case .success(let fd):
            close(fd)
            return relative
        case .failure(.notFound):
            throw APIError(
                .notFound, "Invalid value for field '\(field)': no such file in the ingest root: \(String(path.prefix(200)))",
                details: ["field": .string(field), "error": "no such file in the ingest root"])
        case .failure(let failure):
            throw .invalidField(field, "\(failure): \(String(path.prefix(200)))")
        }
    }
}
