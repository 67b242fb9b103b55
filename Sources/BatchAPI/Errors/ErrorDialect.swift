public import BatchCodecs
import BatchModel

/// Which service's error shape a route answers in; each dialect renders an
/// `APIError` in its own envelope. This is the one place errors become wire bodies.
public enum ErrorDialect: Sendable {
    /// The native envelope of spec 000 and `shared/API.md`:
    /// `{"success": false, "message", "code", "status_code", "details", "request_id"}`.
    case native
    /// Check's `{"error": {"code", "message"}}` (spec 002).
    case check
    /// Talonic's codes in the same shape (spec 004): it calls the rate-limit refusal `rate_limited`.
    case talonic

    public func response(for error: APIError, requestID: String) -> HTTPResponse {
        HTTPResponse.json(error.status, document(for: error, requestID: requestID), headers: error.headers)
    }

    public func document(for error: APIError, requestID: String) -> JSONValue {
        switch self {
        case .native:
            var document: JSONObject = [
                "success": false,
                "message": .string(error.message),
                "code": .string(error.code.rawValue),
                "status_code": .integer(error.status),
                "details": .object(error.details),
                "request_id": .string(requestID),
            ]
            if let suggestion = error.suggestion { document["suggestion"] = .string(suggestion) }
            return .object(document)
        case .check, .talonic:
            let code = self == .talonic && error.code == .rateLimitError ? "rate_limited" : error.code.rawValue
            return ["error": ["code": .string(code), "message": .string(error.message)]]
        }
    }
}
