/// The largest file accepted per media type. Defaults are Wickson's: documents
/// and images 20 MB, audio 50 MB, video 100 MB; an admin may change them.
/// And how far a compressed document may expand while it is read: at most
/// `inflatedBytes` (64 MiB) of XML, at most `inflateRatio` (100) times its
/// compressed size once past 1 MiB, in a ZIP of at most `zipEntries` (10,000)
/// entries. Beyond any of them a file is a `resource_error`.
public struct MediaLimits: Sendable, Equatable {
    public var documentBytes: Int
    public var imageBytes: Int
    public var audioBytes: Int
    public var videoBytes: Int
    public var inflatedBytes = 64 << 20
    public var inflateRatio = 100
    public var zipEntries = 10_000

    public static let wickson = MediaLimits(documentBytes: 20 << 20, imageBytes: 20 << 20, audioBytes: 50 << 20, videoBytes: 100 << 20)

    public init(documentBytes: Int, imageBytes: Int, audioBytes: Int, videoBytes: Int) {
        self.documentBytes = documentBytes
        self.imageBytes = imageBytes
        self.audioBytes = audioBytes
        self.videoBytes = videoBytes
    }

    public func maxBytes(for format: MediaFormat) -> Int {
        switch format.mediaType {
        case "image": return imageBytes
        case "audio": return audioBytes
        case "video": return videoBytes
        default: return documentBytes
        }
    }

    /// The largest of the four: enough to read any accepted file.
    public var largest: Int { max(documentBytes, imageBytes, audioBytes, videoBytes) }
}
