import BatchCodecs

/// A request's `Content-Type` (RFC 9110 §8.3), read once: the media type in
/// lower case and its parameters by lower-case name, quotes removed. Total: a
/// missing or malformed header is an empty media type, which no handler accepts.
public struct ContentType: Sendable, Equatable {
    public let mediaType: String
    public let parameters: [String: String]

    public init(header: String?) {
        let parts = (header ?? "").split(separator: ";", omittingEmptySubsequences: false)
        mediaType = parts.first.map { $0.trimmed.lowercased() } ?? ""
        var parameters: [String: String] = [:]
        for part in parts.dropFirst() {
            guard let equals = part.firstIndex(of: "=") else { continue }
            let name = part[..<equals].trimmed.lowercased()
            var value = part[part.index(after: equals)...].trimmed
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            // The first occurrence counts, as for query parameters.
            if parameters[name] == nil { parameters[name] = value }
        }
        self.parameters = parameters
    }

    /// What `POST /v1/batches` takes, for the 415 that names them.
    public static let createTypes = ["application/json", "multipart/form-data", "text/csv", "application/x-ndjson"]
}
