public import BatchCodecs
public import BatchModel

#if canImport(Glibc)
    import Glibc
#endif

/// One `ingest` item's work, wherever it runs (a helper process in batchd, in
/// process in unit tests): read the file, judge it by its bytes, inspect it,
/// hash it. Total: any file gives an `ItemOutcome`, never a trap (the helper
/// process is there for the day that promise is broken).
public enum IngestWork {
    /// What one item asks of the inspector.
    public struct Request: Sendable, Equatable {
        public var content: [UInt8]?
        public var filePath: String?
        public var filename: String?
        /// The name error messages use.
        public var displayName: String
        public var limits: MediaLimits
        /// Where relative `filePath`s are (`RootedFile`).
        public var ingestRoot: String?

        public init(content: [UInt8]?, filePath: String?, filename: String?, displayName: String, limits: MediaLimits, ingestRoot: String? = nil) {
            self.content = content
            self.filePath = filePath
            self.filename = filename
            self.displayName = displayName
            self.limits = limits
            self.ingestRoot = ingestRoot
        }

        public init(_ item: ClaimedItem, limits: MediaLimits, ingestRoot: String?) {
            self.init(
                content: item.content, filePath: item.filePath, filename: item.filename, displayName: item.displayName, limits: limits,
                ingestRoot: ingestRoot)
        }
    }

    public static func outcome(_ request: Request) -> ItemOutcome {
        TestFault.fire(request.content)
        let bytes: [UInt8]
        if let content = request.content {
            bytes = content
        } else if let path = request.filePath {
            let fd: Int32
            switch RootedFile(ingestRoot: request.ingestRoot).open(path) {
            case .success(let opened): fd = opened
            case .failure(let failure): return unreadable(request, path, failure.description)
            }
            defer { close(fd) }
            guard let file = read(fd, head: 4096) else { return unreadable(request, path, "cannot be read") }
            TestFault.fire(file.head)
            // Judge a file by its first bytes and its size before reading it whole:
            // memory then stays within the largest accepted format's limit.
            guard let format = MediaInspector.detect(file.head, prefixOf: file.size) else {
                return outcome(MediaInspector.inspect(file.head, filename: request.filename ?? path, limits: request.limits), bytes: file.head)
            }
            guard file.size <= request.limits.maxBytes(for: format) else {
                let failure = MediaInspector.tooLarge(format, size: file.size, limit: request.limits.maxBytes(for: format))
                return .failed(errorType: failure.type, message: failure.message, details: .object(failure.details))
            }
            guard let whole = read(fd, head: file.size)?.head, whole.count == file.size else {
                return unreadable(request, path, "changed while it was read")
            }
            bytes = whole
        } else {
            return .failed(errorType: "storage_error", message: "The item has no content", details: nil)
        }
        return outcome(MediaInspector.inspect(bytes, filename: request.filename ?? request.filePath, limits: request.limits), bytes: bytes)
    }

    static func unreadable(_ request: Request, _ path: String, _ why: String) -> ItemOutcome {
        .failed(errorType: "storage_error", message: "Cannot read \(request.displayName): \(why)", details: ["file_path": .string(path)])
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

    /// The first `head` bytes of an open file (all of it when shorter) and its
    /// size, read from its start straight into one array.
    static func read(_ fd: Int32, head: Int) -> (head: [UInt8], size: Int)? {
        var info = stat()
        guard fstat(fd, &info) == 0 else { return nil }
        let size = Int(info.st_size)
        var bytes = [UInt8](repeating: 0, count: min(head, size))
        var filled = 0
        let ok = bytes.withUnsafeMutableBytes { buffer -> Bool in
            while filled < buffer.count {
                let n = pread(fd, buffer.baseAddress! + filled, buffer.count - filled, off_t(filled))
                if n < 0, errno == EINTR { continue }
                if n <= 0 { return false }
                filled += n
            }
            return true
        }
        return ok ? (bytes, size) : nil
    }
}
