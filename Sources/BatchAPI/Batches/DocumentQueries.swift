import BatchCodecs
public import BatchDocuments

// The query parameters of the document endpoints, read into the documents'
// options: anything unknown, repeated or malformed is a 400 naming the parameter.

extension BatchStatusDocument.Options {
    /// Reads the query; anything unknown or malformed is a 400 naming the parameter.
    public init(query: QueryParameters) throws(APIError) {
        self.init()
        try query.requireOnly(Self.parameters)
        includeJobDetails = try Self.bool(query, "include_job_details") ?? false
        metricsOnly = try Self.bool(query, "metrics_only") ?? false
        includeErrors = try Self.bool(query, "include_errors") ?? true
        if let text = query["fields"] {
            let names = text.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmed }
            if let unknown = names.first(where: { !Self.fieldNames.contains($0) }) {
                throw .invalidParameter("fields", "'\(unknown)' is not a field; known: \(Self.fieldNames.joined(separator: ", "))")
            }
            fields = names
        }
    }

    static func bool(_ query: QueryParameters, _ name: String) throws(APIError) -> Bool? {
        guard let text = query[name] else { return nil }
        switch text.lowercased() {
        case "true", "1": return true
        case "false", "0": return false
        default: throw .invalidParameter(name, "must be true or false")
        }
    }
}

extension BatchResultsDocument.Page {
    /// Reads `page` and `page_size`.
    public init(query: QueryParameters) throws(APIError) {
        self.init()
        try query.requireOnly(Self.parameters)
        if let text = query["page"] {
            guard let value = Int(text), (1...1_000_000_000).contains(value) else {
                throw .invalidParameter("page", "must be an integer of at least 1")
            }
            page = value
        }
        if let text = query["page_size"] {
            guard let value = Int(text), (1...1000).contains(value) else { throw .invalidParameter("page_size", "must be an integer from 1 to 1000") }
            pageSize = value
        }
    }
}
