#if canImport(Glibc)
    import Glibc
#endif

/// One results download being written into a `RenderedResultsFolder`: bytes
/// go to a temporary file as they are rendered, and `keep` renames it to its
/// name only when the whole download was written, so the folder never holds a
/// part of one. Anything short of `keep` (the reader left, the disk or the
/// budget ran out) leaves nothing behind: `deinit` removes the temporary file.
/// Used by one thread at a time.
public final class RenderedResultsFile {
    /// What temporary names start with (dot files, never served by name).
    static let temporaryPrefix = ".partial-"

    let folder: RenderedResultsFolder
    let name: String
    let temporaryPath: String
    private var fd: Int32
    private(set) var size = 0

    init?(folder: RenderedResultsFolder, name: String) {
        var random = SystemRandomNumberGenerator()
        temporaryPath = folder.directory + "/" + Self.temporaryPrefix + String(random.next(), radix: 36) + "-" + name
        fd = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return nil }
        self.folder = folder
        self.name = name
    }

    deinit { abandon() }

    /// Whether it is still being written (false once a write failed or it was kept).
    public var isOpen: Bool { fd >= 0 }

    /// Appends bytes; past the folder's budget or on a failed write the file is
    /// given up (the download itself goes on without it).
    public func append(_ bytes: [UInt8]) {
        guard fd >= 0 else { return }
        guard size + bytes.count <= folder.budgetBytes else { return abandon() }
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { return abandon() }
            offset += n
        }
        size += bytes.count
    }

    /// Puts the whole file in place under its name, replaces the batch's files
    /// of older versions, and trims the folder to its budget.
    public func keep() {
        guard fd >= 0 else { return }
        close(fd)
        fd = -1
        guard rename(temporaryPath, folder.directory + "/" + name) == 0 else {
            unlink(temporaryPath)
            return
        }
        folder.removeStaleFiles(besides: name)
        folder.trim()
    }

    /// Gives the file up: closes and removes it.
    public func abandon() {
        guard fd >= 0 else { return }
        close(fd)
        fd = -1
        unlink(temporaryPath)
    }
}
