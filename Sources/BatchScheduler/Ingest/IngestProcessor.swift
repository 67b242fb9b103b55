import BatchModel
import Foundation

/// `ingest`, the default processor: media ingestion of one file. The type comes
/// from the bytes (`MediaInspector`), the file must be whole, within its type's
/// size limit, and yields a media record (`vec-…`, created by the store when the
/// result commits, unless the collection already holds the same content).
public struct IngestProcessor: Processor {
    public let name = "ingest"
    public let claimBatch = 4

    public init() {}

    public func process(_ item: ClaimedItem, control: ProcessingControl) -> ItemOutcome {
        let bytes: [UInt8]
        if let content = item.content {
            bytes = content
        } else if let path = item.filePath {
            guard let handle = FileHandle(forReadingAtPath: path), let size = (try? handle.seekToEnd()).map(Int.init) else {
                return .failed(errorType: "storage_error", message: "Cannot read \(item.displayName)", details: ["file_path": .string(path)])
            }
            defer { try? handle.close() }
            // Refuse an oversized file from its first bytes, before reading it all.
            try? handle.seek(toOffset: 0)
            let head = Array((try? handle.read(upToCount: 4096)) ?? Data())
            if let format = MediaInspector.detect(head, prefixOf: size), size > format.maxBytes {
                let failure = MediaInspector.tooLarge(format, size: size)
                return .failed(errorType: failure.type, message: failure.message, details: .object(failure.details))
            }
            try? handle.seek(toOffset: 0)
            bytes = Array((try? handle.read(upToCount: MediaFormat.allCases.map(\.maxBytes).max()! + 1)) ?? Data())
        } else {
            return .failed(errorType: "storage_error", message: "The item has no content", details: nil)
        }
        switch MediaInspector.inspect(bytes, filename: item.filename ?? item.filePath) {
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
}
