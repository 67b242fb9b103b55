/// The formats `ingest` accepts, with their media type, MIME type and size limit
/// (Wickson's: documents and images 20 MB, audio 50 MB, video 100 MB).
public enum MediaFormat: String, Sendable, CaseIterable {
    case pdf, docx, text, png, jpeg, gif, webp, wav, mp3, mp4

    public var mediaType: String {
        switch self {
        case .pdf, .docx, .text: return "document"
        case .png, .jpeg, .gif, .webp: return "image"
        case .wav, .mp3: return "audio"
        case .mp4: return "video"
        }
    }

    /// The media types the results page names (`model` is one batchd never makes).
    public static let mediaTypes = ["document", "image", "video", "audio", "model"]

    public var mime: String {
        switch self {
        case .pdf: return "application/pdf"
        case .docx: return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        case .text: return "text/plain"
        case .png: return "image/png"
        case .jpeg: return "image/jpeg"
        case .gif: return "image/gif"
        case .webp: return "image/webp"
        case .wav: return "audio/wav"
        case .mp3: return "audio/mpeg"
        case .mp4: return "video/mp4"
        }
    }

    public var fileExtension: String {
        switch self {
        case .text: return ".txt"
        case .jpeg: return ".jpg"
        default: return "." + rawValue
        }
    }

    public static var supportedExtensions: [String] { allCases.map(\.fileExtension) }
}

/// Why a file was refused, in the spec's error types.
public struct IngestFailure: Error, Sendable, Equatable {
    /// `format_error`, `corrupted_file`, `resource_error` or `storage_error`.
    public var type: String
    public var message: String
    public var details: JSONObject

    public init(_ type: String, _ message: String, details: JSONObject = JSONObject()) {
        self.type = type
        self.message = message
        self.details = details
    }

    public static func corrupted(_ format: MediaFormat, _ reason: String) -> IngestFailure {
        IngestFailure(
            "corrupted_file", "\(format.fileExtension) file is damaged: \(reason)",
            details: ["format": .string(format.fileExtension), "reason": .string(reason)])
    }
}
