import BatchModel
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `ingest`, the default processor: media ingestion of one file. The type comes
/// from the bytes (`MediaInspector`), the file must be whole, within its type's
/// size limit, and yields a media record (`vec-…`, created by the store when the
/// result commits, unless the collection already holds the same content).
public struct IngestProcessor: Processor {
    public let name = "ingest"
    public let claimBatch = 4

    public let limits: MediaLimits

    public init(limits: MediaLimits = .wickson) { self.limits = limits }

    public func process(_ item: ClaimedItem, control: ProcessingControl) -> ItemOutcome {
        let bytes: [UInt8]
        if let content = item.content {
            bytes = content
        } else if let path = item.filePath {
            guard let file = Self.read(path: path, head: 4096) else {
                return .failed(errorType: "storage_error", message: "Cannot read \(item.displayName)", details: ["file_path": .string(path)])
            }
            // Judge a file by its first bytes and its size before reading it whole:
            // memory then stays within the largest accepted format's limit.
            guard let format = MediaInspector.detect(file.head, prefixOf: file.size) else {
                return Self.outcome(MediaInspector.inspect(file.head, filename: item.filename ?? path, limits: limits), bytes: file.head)
            }
            guard file.size <= limits.maxBytes(for: format) else {
                let failure = MediaInspector.tooLarge(format, size: file.size, limit: limits.maxBytes(for: format))
                return .failed(errorType: failure.type, message: failure.message, details: .object(failure.details))
            }
            guard let whole = Self.read(path: path, head: file.size)?.head else {
                return .failed(errorType: "storage_error", message: "Cannot read \(item.displayName)", details: ["file_path": .string(path)])
            }
            bytes = whole
        } else {
            return .failed(errorType: "storage_error", message: "The item has no content", details: nil)
        }
        return Self.outcome(MediaInspector.inspect(bytes, filename: item.filename ?? item.filePath, limits: limits), bytes: bytes)
    }

    static func outcome(_ inspection: Result<MediaInspector.Inspection, IngestFailure>, bytes: [UInt8]) -> ItemOutcome {
        switch inspection {
        case .failure(let failure):
            return .failed(errorType: failure.type, message: failure.message, details: .object(failure.details))
        case .success(let inspection):
            let sha = SHA256.hexHash(bytes)
            var metadata = inspection.metadata
            metadata["format"] = .string(inspection.format.fileExtension)
            let media = NewMedia(
                mediaType: inspection.format.mediaType, mime: inspection.format.mime, sizeBytes: Int64(bytes.count), sha256: sha, metadata: metadata)
            let result: JSONValue = [
                "media_type": .string(media.mediaType), "mime_type": .string(media.mime), "size_bytes": .integer(bytes.count),
                "sha256": .string(sha), "metadata": .object(metadata),
            ]
            return .succeeded(result: result, mediaType: media.mediaType, usage: .none, media: media)
        }
    }

    /// The first `head` bytes of a file (all of it when shorter) and its size,
    /// read straight into one array.
    static func read(path: String, head: Int) -> (head: [UInt8], size: Int)? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return nil }
        let size = Int(info.st_size)
        var bytes = [UInt8](repeating: 0, count: min(head, size))
        var filled = 0
        let ok = bytes.withUnsafeMutableBytes { buffer -> Bool in
            while filled < buffer.count {
                let n = Glibc.read(fd, buffer.baseAddress! + filled, buffer.count - filled)
                if n <= 0 { return false }
                filled += n
            }
            return true
        }
        return ok ? (bytes, size) : nil
    }
}
