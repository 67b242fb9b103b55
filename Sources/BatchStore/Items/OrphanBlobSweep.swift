public import BatchModel

#if canImport(Glibc)
    import Glibc
#endif

/// Removes upload blobs no item owns: what a batchd killed in the middle of an
/// upload (or between writing a blob and committing its batch) leaves behind.
/// Blobs younger than `minimumAgeSeconds` are left alone, since an upload may be
/// writing one right now; at start, before requests are served, nothing is.
public struct OrphanBlobSweep {
    let connection: any StoreConnection

    public init(_ connection: any StoreConnection) { self.connection = connection }

    /// Removes the orphans among the `*.blob` files of `directory`; their paths.
    @discardableResult
    public func sweep(directory: String, minimumAgeSeconds: Int, now: Int = Int(Timestamp.now().seconds)) throws(StoreError) -> [String] {
        guard let folder = opendir(directory) else { return [] }
        var names: [String] = []
        while let entry = readdir(folder) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
            if name.hasSuffix(".blob") { names.append(name) }
        }
        closedir(folder)
        let owner = try connection.statement("SELECT 1 FROM items WHERE blob_path = ? LIMIT 1")
        // Blob names are unique; a row naming the folder another way (a symlink, a
        // relative state dir) still owns its blob. Slower, so only for the few that
        // the exact path did not find.
        let endsWithName = connection.dialect == .sqlite ? "substr(blob_path, -length(?1)) = ?1" : "right(blob_path, length(?1::text)) = ?1"
        let ownerByName = try connection.statement("SELECT 1 FROM items WHERE blob_path IS NOT NULL AND \(endsWithName) LIMIT 1")
        var removed: [String] = []
        for name in names {
            let path = directory + "/" + name
            var info = stat()
            guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG, now - Int(info.st_mtim.tv_sec) >= minimumAgeSeconds else { continue }
            guard try owner.bind(.text(path)).firstRow({ $0.int(0) }) == nil,
                try ownerByName.bind(.text("/" + name)).firstRow({ $0.int(0) }) == nil
            else { continue }
            if unlink(path) == 0 { removed.append(path) }
        }
        return removed
    }
}
