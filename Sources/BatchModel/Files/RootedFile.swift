#if canImport(Glibc)
    import Glibc
#endif

/// Opens the files items name, so that no path a tenant gives can reach outside
/// where it may: a path beneath the operator's ingest root is opened one
/// component at a time from the root's descriptor with `O_NOFOLLOW`, so a
/// symlink anywhere on the way (planted before or after the path was checked)
/// and `..` are refused; batchd's own upload blobs (absolute paths it wrote) are
/// opened without following a symlink either. Whatever it opens must be a
/// regular file, checked on the open descriptor; it is opened non-blocking, so
/// a FIFO cannot hold the caller.
public struct RootedFile: Sendable {
    /// Why a file could not be opened; `description` is safe to show the tenant.
    public enum Failure: Error, Equatable, Sendable, CustomStringConvertible {
        case invalidPath
        case noIngestRoot
        case notFound
        case symlink
        case notRegularFile
        case unreadable(errno: Int32)

        public var description: String {
            switch self {
            case .invalidPath: return "must be a relative path inside the ingest root, without empty, '.' or '..' segments"
            case .noIngestRoot: return "file_path is not enabled on this server (no ingest root)"
            case .notFound: return "no such file in the ingest root"
            case .symlink: return "a symbolic link is not followed"
            case .notRegularFile: return "not a regular file"
            case .unreadable(let code): return "cannot be read (\(String(cString: strerror(code))))"
            }
        }
    }

    /// The operator's ingest root; nil when `file_path` items are not enabled.
    public let ingestRoot: String?

    public init(ingestRoot: String?) { self.ingestRoot = ingestRoot }

    /// The components of a path a tenant gave, when it is one that may name a file
    /// beneath the root: relative, no `.` or `..`, no NUL, not empty.
    public static func components(_ path: String) -> [Substring]? {
        guard !path.hasPrefix("/"), !path.utf8.contains(0) else { return nil }
        // No empty segment either ("a//b", "a/"): one spelling for each path.
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard !parts.isEmpty, !parts.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) else { return nil }
        return parts
    }

    /// A read-only descriptor for an item's file, which the caller closes: a
    /// relative path is beneath the ingest root; an absolute one is batchd's own
    /// upload blob (or, from before paths were stored relative, a file beneath the root).
    public func open(_ path: String) -> Result<Int32, Failure> {
        if path.hasPrefix("/") {
            if let root = ingestRoot, path.hasPrefix(root.hasSuffix("/") ? root : root + "/") {
                return open(String(path.dropFirst(root.count)).drop(while: { $0 == "/" }).description, beneath: root)
            }
            return Self.openRegular(at: AT_FDCWD, path)
        }
        guard let root = ingestRoot else { return .failure(.noIngestRoot) }
        return open(path, beneath: root)
    }

    /// Opens `relative` beneath `root` without following any symlink below the root.
    public func open(_ relative: String, beneath root: String) -> Result<Int32, Failure> {
        guard let parts = Self.components(relative) else { return .failure(.invalidPath) }
        var directory = Glibc.open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directory >= 0 else { return .failure(.unreadable(errno: errno)) }
        for part in parts.dropLast() {
            let next = openat(directory, String(part), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            var code = errno
            if next < 0, code == ENOTDIR, Self.isSymlink(at: directory, String(part)) { code = ELOOP }
            close(directory)
            guard next >= 0 else { return .failure(Self.failure(code)) }
            directory = next
        }
        defer { close(directory) }
        return Self.openRegular(at: directory, String(parts[parts.count - 1]))
    }

    /// The last step: no symlink, never blocking, and a regular file on the descriptor.
    private static func openRegular(at directory: Int32, _ name: String) -> Result<Int32, Failure> {
        let fd = openat(directory, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
        guard fd >= 0 else { return .failure(failure(errno)) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let code = errno
            close(fd)
            return .failure(.unreadable(errno: code))
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            return .failure(.notRegularFile)
        }
        return .success(fd)
    }

    /// Whether `name` in `directory` is a symlink: with O_NOFOLLOW, a symlink to a
    /// folder fails O_DIRECTORY with ENOTDIR, as a plain file would.
    private static func isSymlink(at directory: Int32, _ name: String) -> Bool {
        var info = stat()
        return fstatat(directory, name, &info, AT_SYMLINK_NOFOLLOW) == 0 && info.st_mode & S_IFMT == S_IFLNK
    }

    private static func failure(_ code: Int32) -> Failure {
        switch code {
        // ENOTDIR: a file where the path needs a folder.
        case ENOENT, ENOTDIR: return .notFound
        // What O_NOFOLLOW answers for a symlink.
        case ELOOP: return .symlink
        default: return .unreadable(errno: code)
        }
    }
}
