import BatchModel

#if canImport(Glibc)
    import Glibc
#endif

/// Writes one uploaded file into the blob store (`<state>/var/blobs`) as it
/// streams in, counting it, and syncs it to disk before the batch
/// that refers to it is committed.
final class BlobWriter {
    let path: String
    private let fd: Int32
    private(set) var size = 0

    init(directory: String) throws(APIError) {
        path = directory + "/" + ResourceID.make(.item).replacingOccurrences(of: "-", with: "_") + ".blob"
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o640)
        guard fd >= 0 else {
            throw .blobStoreUnavailable()
        }
    }

    deinit { if fd >= 0 { close(fd) } }

    func write(_ bytes: ArraySlice<UInt8>) throws(APIError) {
        var offset = bytes.startIndex
        while offset < bytes.endIndex {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            guard n > 0 else {
                throw .blobStoreUnavailable()
            }
            offset += n
        }
        size += bytes.count
    }

    /// Flushes the file to disk; the batch row that names it comes after.
    func finish() throws(APIError) {
        guard fsync(fd) == 0 else {
            throw .blobStoreUnavailable()
        }
    }

    static func remove(_ paths: [String]) {
        for path in paths { unlink(path) }
    }
}
