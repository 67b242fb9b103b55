public import BatchCodecs
public import BatchModel
public import BatchStore

/// The one error type of the API layer: what went wrong, in words a client can
/// act on. Handlers throw it; the route's `ErrorDialect` turns it into the wire body.
public struct APIError: Error, Sendable {
    public var code: ErrorCode
    public var message: String
    public var details: JSONObject
    /// Extra response headers, e.g. `Allow` on a 405.
    public var headers: [(name: String, value: String)]
    /// What the client can do about it (the native envelope's `suggestion`).
    public var suggestion: String?

    public init(
        _ code: ErrorCode, _ message: String, details: JSONObject = JSONObject(), headers: [(name: String, value: String)] = [],
        suggestion: String? = nil
    ) {
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers
        self.suggestion = suggestion
    }

    public var status: Int { code.status }

    // MARK: The errors every endpoint shares

    /// Spec 000's 400 for an id that is not alphanumeric-with-hyphens or too long.
    public static func invalidBatchID(_ id: String, _ problem: ResourceID.Problem) -> APIError {
        APIError(.validationError, "Invalid batch ID: \(id)", details: ["error": .string(problem.explanation)])
    }

    /// Spec 000's 404, also for another tenant's batch, so ids leak nothing.
    public static func batchNotFound(_ id: String) -> APIError {
        APIError(.notFound, "Batch \(id) not found", details: ["resource_type": "batch", "resource_id": .string(id)])
    }

    public static func notFound(resourceType: String, id: String) -> APIError {
        APIError(
            .notFound, "\(resourceType.prefix(1).uppercased() + resourceType.dropFirst()) \(id) not found",
            details: ["resource_type": .string(resourceType), "resource_id": .string(id)])
    }

    public static func invalidParameter(_ name: String, _ reason: String) -> APIError {
        APIError(
            .validationError, "Invalid value for parameter '\(name)': \(reason)", details: ["parameter": .string(name), "error": .string(reason)])
    }

    public static func invalidField(_ name: String, _ reason: String) -> APIError {
        APIError(.validationError, "Invalid value for field '\(name)': \(reason)", details: ["field": .string(name), "error": .string(reason)])
    }

    /// A body (or a part of one) that is not JSON; a key given twice is named.
    public static func notJSON(_ error: JSONParseError, what: String = "Request body") -> APIError {
        var details: JSONObject = ["error": .string(error.description), "offset": .integer(error.offset)]
        if let key = error.duplicateKey {
            details["key"] = .string(key)
            return APIError(.validationError, "\(what) gives the key '\(String(key.prefix(100)))' more than once", details: details)
        }
        return APIError(.validationError, "\(what) is not valid JSON: \(error)", details: details)
    }

    /// A server fault: the message names the operation, never SQL or internals.
    public static func processing(operation: String, details: JSONObject = JSONObject()) -> APIError {
        var all: JSONObject = ["operation": .string(operation)]
        for (key, value) in details.pairs { all[key] = value }
        return APIError(.processingError, "Failed to \(operation.replacingOccurrences(of: "_", with: " ")): internal error", details: all)
    }
}

extension APIError {
    /// How to retry a write safely: creates and appends name the Idempotency-Key.
    /// The blob store refused an uploaded file's bytes (a full or read-only disk, a
    /// file-size limit): the server's fault, said without the system's wording, which
    /// reads like a verdict on the client's file ("File too large").
    public static func blobStoreUnavailable() -> APIError {
        APIError(
            .serviceUnavailable, "Uploaded files cannot be stored right now; nothing was stored. Retry shortly",
            details: ["operation": "store_upload", "dependency": "blob_store"], headers: [("Retry-After", "5")],
            suggestion: retrySuggestion("create_batch"))
    }

    static func retrySuggestion(_ operation: String) -> String? {
        guard operation.hasPrefix("create") || operation.hasPrefix("append") else { return nil }
        return "Retry with the same Idempotency-Key header: a batch already stored is answered again, never stored twice"
    }

    /// Maps a store failure during `operation` to the wire: the one place where
    /// `StoreError` becomes an HTTP answer.
    public init(_ error: StoreError, operation: String, details: JSONObject = JSONObject()) {
        switch error {
        case .notFound(let what):
            self.init(.notFound, "\(what.prefix(1).uppercased() + what.dropFirst()) not found", details: details)
        case .conflict(let message):
            self.init(.conflict, message, details: details)
        case .busy:
            var busy = details
            busy["operation"] = .string(operation)
            self.init(
                .serviceUnavailable, "The database is busy; retry shortly", details: busy, headers: [("Retry-After", "1")],
                suggestion: Self.retrySuggestion(operation))
        case .quotaExceeded(let quota, let limit, let used):
            var all = details
            all["error"] = "quota_exceeded"
            all["quota"] = .string(quota)
            all["limit"] = .int(limit)
            all["used"] = .int(used)
            self.init(.forbidden, "The tenant's \(quota) quota of \(limit) would be exceeded (\(used) in use)", details: all)
        case .sqlite where error.isStorageFault, .postgres where error.isStorageFault:
            var all = details
            all["operation"] = .string(operation)
            all["dependency"] = if case .postgres = error { "postgres" } else { "sqlite" }
            self.init(
                .serviceUnavailable, "The database cannot be written right now; nothing was stored. Retry shortly", details: all,
                headers: [("Retry-After", "5")], suggestion: Self.retrySuggestion(operation))
        case .postgres(let state, _) where state == StoreError.nulInTextState:
            // A client's value with a NUL byte that no check before the store caught:
            // PostgreSQL text cannot hold one. The client's mistake, never a 500.
            var all = details
            all["error"] = "a value contains a NUL byte"
            self.init(.validationError, "A value in the request contains a NUL byte", details: all)
        case .sqlite, .postgres, .schemaTooNew:
            self = .processing(operation: operation, details: details)
        }
    }
}
