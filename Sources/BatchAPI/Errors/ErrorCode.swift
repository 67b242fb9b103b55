/// The native error codes of `shared/API.md`, each with its one HTTP status.
public enum ErrorCode: String, Sendable, CaseIterable {
    case validationError = "validation_error"
    case unauthorized = "unauthorized"
    case forbidden = "forbidden"
    case notFound = "not_found"
    case methodNotAllowed = "method_not_allowed"
    case conflict = "conflict"
    case gone = "gone"
    case payloadTooLarge = "payload_too_large"
    case unsupportedMediaType = "unsupported_media_type"
    case rangeNotSatisfiable = "range_not_satisfiable"
    case rateLimitError = "rate_limit_error"
    case processingError = "processing_error"
    case serviceUnavailable = "service_unavailable"

    public var status: Int {
        switch self {
        case .validationError: return 400
        case .unauthorized: return 401
        case .forbidden: return 403
        case .notFound: return 404
        case .methodNotAllowed: return 405
        case .conflict: return 409
        case .gone: return 410
        case .payloadTooLarge: return 413
        case .unsupportedMediaType: return 415
        case .rangeNotSatisfiable: return 416
        case .rateLimitError: return 429
        case .processingError: return 500
        case .serviceUnavailable: return 503
        }
    }
}
