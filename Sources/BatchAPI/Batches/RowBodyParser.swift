public import BatchCodecs
import BatchModel

/// Check's `inputFormat` bodies: `text/csv` (a header row naming the columns) or
/// `application/x-ndjson` (one JSON object a line). One item a row, with columns
/// `content` or `content_base64`, `filename`, `custom_id` and `context.NAME`;
/// the batch's name and options come as query parameters. Rows become the same
/// request `BatchRequestParser` reads, so validation is shared: a bad row is a
/// row error, a bad body or parameter a 400.
public enum RowBodyParser {
    public enum Format: Sendable { case csv, ndjson }

    public static func format(of type: ContentType) -> Format? {
        switch type.mediaType {
        case "text/csv": return .csv
        case "application/x-ndjson", "application/jsonl", "application/jsonlines": return .ndjson
        default: return nil
        }
    }

    /// The equivalent JSON create request.
    public static func request(
        _ body: [UInt8], format: Format, query: QueryParameters, maxContextKeys: Int = BatchLimits().maxContextKeys
    ) throws(APIError) -> JSONObject {
        guard String(validating: body, as: UTF8.self) != nil else {
            throw APIError(.validationError, "Request body must be UTF-8 text", details: ["error": "invalid UTF-8"])
        }
        var object = try options(query)
        let items: [JSONValue] =
            switch format {
            case .csv: try csvItems(body, maxContextKeys: maxContextKeys)
            case .ndjson: ndjsonItems(body)
            }
        object["items"] = .array(items)
        return object
    }

    public static func options(_ query: QueryParameters) throws(APIError) -> JSONObject {
        try query.requireOnly(BatchRequestParser.queryOptionNames, repeatsAllowed: true)
        var object = JSONObject()
        var configuration = JSONObject()
        for (name, value) in query.pairs {
            switch name {
            case "submit", "force_overwrite":
                guard value == "true" || value == "false" else { throw .invalidParameter(name, "must be true or false") }
                object[name] = .bool(value == "true")
            case _ where !BatchRequestParser.configurationFields.contains(name): object[name] = .string(value)
            case _ where BatchRequestParser.textConfigurationFields.contains(name): configuration[name] = .string(value)
            default:
                // Digits only, no sign and no leading zero: one spelling a number, as the contract's patterns say.
                guard let first = value.utf8.first, first != UInt8(ascii: "0"), value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                    let number = Int64(value)
                else { throw .invalidParameter(name, "must be a whole number without sign or leading zero") }
                configuration[name] = .int(number)
            }
        }
        if !configuration.pairs.isEmpty { object["configuration"] = .object(configuration) }
        return object
    }

    /// A create's body with the query's options (`BatchRequestParser.queryOptions`,
    /// which checks them all) filling what the body leaves out: the options are the
    /// same for every body form, and a value in the body wins.
    public static func filling(_ body: JSONObject, from fromQuery: JSONObject) -> JSONObject {
        var merged = body
        for (key, value) in fromQuery.pairs {
            if key == "configuration", case .object(let queried) = value {
                // null is absent, as everywhere in a body; anything else not an object is left for the parser to refuse.
                var configuration: JSONObject
                switch body["configuration"] {
                case .object(let sent)?: configuration = sent
                case nil, .null?: configuration = JSONObject()
                default: continue
                }
                for (name, option) in queried.pairs where configuration[name] == nil { configuration[name] = option }
                merged["configuration"] = .object(configuration)
            } else if merged[key] == nil {
                merged[key] = value
            }
        }
        return merged
    }

    /// `body` is UTF-8 (checked by the caller).
    static func csvItems(_ body: [UInt8], maxContextKeys: Int) throws(APIError) -> [JSONValue] {
        let known: Set<String> = ["content", "content_base64", "filename", "custom_id"]
        let maxColumns = known.count + maxContextKeys
        // One field past the limit is kept, to tell a row that is too wide.
        var rows = try CSVParser.parse(body, maxFields: maxColumns + 1)
        guard !rows.isEmpty else { throw .invalidField("items", "the CSV body has no header row") }
        let header = rows.removeFirst()
        guard header.count <= maxColumns else {
            throw APIError(
                .validationError, "The CSV header has more than \(maxColumns) columns; at most \(maxColumns) are allowed",
                details: ["limit_columns": .integer(maxColumns)])
        }
        var seen: Set<String> = []
        if let repeated = header.first(where: { !seen.insert($0).inserted }) {
            throw APIError(.validationError, "The CSV header names the column '\(repeated)' more than once", details: ["column": .string(repeated)])
        }
        if let unknown = header.first(where: { !known.contains($0) && !$0.hasPrefix("context.") }) {
            throw APIError(
                .validationError, "Unknown CSV column '\(unknown)'",
                details: ["column": .string(unknown), "allowed": ["content", "content_base64", "filename", "custom_id", "context.NAME"]])
        }
        guard header.contains("content") || header.contains("content_base64") else {
            throw APIError(
                .validationError, "The CSV header must name a content or content_base64 column",
                details: ["columns": .array(header.map(JSONValue.string))])
        }
        return rows.map { row in
            // A row of the wrong width becomes a non-object item: a row error, not a 400.
            guard row.count == header.count else {
                return .string(
                    row.count > header.count
                        ? "row has more fields than the header's \(header.count)" : "row has \(row.count) fields; the header has \(header.count)")
            }
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

    /// One item a line of `body` (UTF-8, checked by the caller); lines end with
    /// LF or CRLF, and blank lines are skipped. Lines are parsed from the bytes.
    static func ndjsonItems(_ body: [UInt8]) -> [JSONValue] {
        body.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).compactMap { line -> JSONValue? in
            let bytes = line.last == UInt8(ascii: "\r") ? line.dropLast() : line[...]
            if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return nil }
            do throws(JSONParseError) {
                return try JSONParser.parse(Array(bytes))
            } catch {
                return .string(
                    error.duplicateKey.map { "line gives the key '\(String($0.prefix(100)))' more than once" } ?? "line is not valid JSON: \(error)")
            }
        }
    }
}
