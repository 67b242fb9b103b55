import BatchModel

/// Check's `inputFormat` bodies: `text/csv` (a header row naming the columns) or
/// `application/x-ndjson` (one JSON object a line). One item a row, with columns
/// `content` or `content_base64`, `filename`, `custom_id` and `context.NAME`;
/// the batch's name and options come as query parameters. Rows become the same
/// request `BatchRequestParser` reads, so validation is shared: a bad row is a
/// row error, a bad body or parameter a 400.
public enum RowBodyParser {
    static let parameters: Set<String> = [
        "batch_name", "collection", "processor", "submit", "force_overwrite", "max_concurrent", "priority", "timeout",
        "notification_url", "completion_window", "retention_days",
    ]

    public enum Format: Sendable { case csv, ndjson }

    public static func format(ofContentType header: String) -> Format? {
        let type = header.split(separator: ";").first.map { String($0).trimmed.lowercased() } ?? ""
        switch type {
        case "text/csv": return .csv
        case "application/x-ndjson", "application/jsonl", "application/jsonlines": return .ndjson
        default: return nil
        }
    }

    /// The equivalent JSON create request.
    public static func request(_ body: [UInt8], format: Format, query: QueryParameters, maxContextKeys: Int = BatchLimits().maxContextKeys) throws(APIError) -> JSONObject {
        guard let text = String(validating: body, as: UTF8.self) else {
            throw APIError(.validationError, "Request body must be UTF-8 text", details: ["error": "invalid UTF-8"])
        }
        var object = try options(query)
        let items: [JSONValue] = switch format {
        case .csv: try csvItems(text, maxContextKeys: maxContextKeys)
        case .ndjson: ndjsonItems(text)
        }
        object["items"] = .array(items)
        return object
    }

    public static func options(_ query: QueryParameters) throws(APIError) -> JSONObject {
        if let unknown = query.names.first(where: { !parameters.contains($0) }) {
            throw .invalidParameter(unknown, "unknown parameter; allowed: \(parameters.sorted().joined(separator: ", "))")
        }
        var object = JSONObject()
        var configuration = JSONObject()
        for (name, value) in query.pairs {
            switch name {
            case "batch_name", "collection", "processor": object[name] = .string(value)
            case "submit", "force_overwrite":
                guard value == "true" || value == "false" else { throw .invalidParameter(name, "must be true or false") }
                object[name] = .bool(value == "true")
            case "priority", "notification_url", "completion_window": configuration[name] = .string(value)
            default:
                guard let number = Int64(value) else { throw .invalidParameter(name, "must be an integer") }
                configuration[name] = .int(number)
            }
        }
        if !configuration.pairs.isEmpty { object["configuration"] = .object(configuration) }
        return object
    }

    static func csvItems(_ text: String, maxContextKeys: Int) throws(APIError) -> [JSONValue] {
        var rows = try CSVParser.parse(text)
        guard !rows.isEmpty else { throw .invalidField("items", "the CSV body has no header row") }
        let header = rows.removeFirst()
        let known: Set<String> = ["content", "content_base64", "filename", "custom_id"]
        guard header.count <= known.count + maxContextKeys else {
            throw APIError(
                .validationError, "The CSV header has \(header.count) columns; at most \(known.count + maxContextKeys) are allowed",
                details: ["columns": .integer(header.count), "limit_columns": .integer(known.count + maxContextKeys)])
        }
        var seen: Set<String> = []
        if let repeated = header.first(where: { !seen.insert($0).inserted }) {
            throw APIError(.validationError, "The CSV header names the column '\(repeated)' more than once", details: ["column": .string(repeated)])
        }
        if let unknown = header.first(where: { !known.contains($0) && !$0.hasPrefix("context.") }) {
            throw APIError(.validationError, "Unknown CSV column '\(unknown)'", details: ["column": .string(unknown), "allowed": ["content", "content_base64", "filename", "custom_id", "context.NAME"]])
        }
        guard header.contains("content") || header.contains("content_base64") else {
            throw APIError(.validationError, "The CSV header must name a content or content_base64 column", details: ["columns": .array(header.map(JSONValue.string))])
        }
        return rows.map { row in
            // A row of the wrong width becomes a non-object item: a row error, not a 400.
            guard row.count == header.count else { return .string("row has \(row.count) fields; the header has \(header.count)") }
            var item = JSONObject()
            var context = JSONObject()
            for (name, value) in zip(header, row) {
                if name.hasPrefix("context.") {
                    context[String(name.dropFirst("context.".count))] = .string(value)
                } else if !value.isEmpty || name == "content" || name == "content_base64" {
                    item[name] = .string(value)
                }
            }
            if item["content"] == .string(""), item["content_base64"] != nil { item["content"] = nil }
            if item["content_base64"] == .string(""), item["content"] != nil { item["content_base64"] = nil }
            if !context.pairs.isEmpty { item["context"] = .object(context) }
            return .object(item)
        }
    }

    static func ndjsonItems(_ text: String) -> [JSONValue] {
        // "\r\n" is one Character in Swift: split on both line ends.
        text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
            .filter { !$0.allSatisfy(\.isWhitespace) }
            .map { line -> JSONValue in
                do throws(JSONParseError) {
                    return try JSONParser.parse(String(line))
                } catch {
                    return .string(error.duplicateKey.map { "line gives the key '\(String($0.prefix(100)))' more than once" } ?? "line is not valid JSON: \(error)")
                }
            }
    }
}
