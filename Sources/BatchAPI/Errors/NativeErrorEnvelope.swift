public import BatchCodecs
import BatchModel

/// Renders an `APIError` as the native envelope of spec 000 and `shared/API.md`:
/// `{"success": false, "message", "code", "status_code", "details", "request_id"}`.
public enum NativeErrorEnvelope {
    public static func document(_ error: APIError, requestID: String) -> JSONValue {
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
    }

    public static func response(_ error: APIError, requestID: String) -> HTTPResponse {
        HTTPResponse.json(error.status, document(error, requestID: requestID), headers: error.headers)
    }
}

/// Check's and Talonic's error body (specs 002, 004): `{"error": {"code", "message"}}`;
/// Talonic calls the rate-limit refusal `rate_limited`.
public enum DialectErrorEnvelope {
    public static func response(_ error: APIError, talonic: Bool = false) -> HTTPResponse {
        let code = talonic && error.code == .rateLimitError ? "rate_limited" : error.code.rawValue
        return HTTPResponse.json(error.status, ["error": ["code": .string(code), "message": .string(error.message)]], headers: error.headers)
    }
}
