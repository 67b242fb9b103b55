#if canImport(Glibc)
    import Glibc
#endif

/// Finished batches' results downloads kept as files, so that nginx sends them
/// (`X-Accel-Redirect`, sendfile) instead of batchd rendering every item again
/// for every download.
///
/// A file's name says exactly what it holds, `<batch>.v<version>.<view>.<ext>`,
/// and a batch's version moves with every change to its items, so a file is
/// never taken for content it does not hold. Files are written under a
/// temporary name and renamed once whole (`RenderedResultsFile`), so nothing
/// reads a partial one. `trim` keeps the folder under `budgetBytes`, the least
/// recently used first; a batch's files go when it is deleted or purged.
/// Several nodes may share the folder: every step is a single rename or unlink.
public struct RenderedResultsFolder: Sendable {
    public let directory: String
    /// The most the folder may hold; a file that would pass it is not kept.
    public let budgetBytes: Int

    /// Temporary files older than this are left over from a process that died.
    static let abandonedSeconds = 3600

    public init(directory: String, budgetBytes: Int) {
        self.directory = directory
        self.budgetBytes = budgetBytes
    }

    /// The file name of one view of one version of a batch. `batchID` is a
    /// checked id (letters, digits, hyphens), so the name has no other dots.
    public static func name(batchID: String, version: Int, view: String, fileExtension: String) -> String {
        "\(batchID).v\(version).\(view).\(fileExtension)"
    }

    /// The size of the whole file `name`, or nil when there is none. Marks it
    /// used, so that `trim` removes it last.
    public func size(of name: String) -> Int? {
        let path = directory + "/" + name
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        _ = utimensat(AT_FDCWD, path, nil, 0)
        return Int(info.st_size)
    }

    /// Starts writing `name`; nil when the folder cannot take a file now.
    public func create(_ name: String) -> RenderedResultsFile? {
        guard budgetBytes > 0 else { return nil }
        return RenderedResultsFile(folder: self, name: name)
    }

    /// Removes every file of a batch (it was deleted or purged).
    public func removeFiles(ofBatch batchID: String) {
        for entry in entries() where entry.batchID == batchID { unlink(directory + "/" + entry.name) }
    }

    /// Removes the files of `current`'s batch of other versions than its: they
    /// can no longer be served, since the batch's version has moved past them.
    func removeStaleFiles(besides current: String) {
        let (batchID, version) = Self.batchAndVersion(of: current)
        for entry in entries() where entry.batchID == batchID && entry.version != version { unlink(directory + "/" + entry.name) }
    }

    /// The batch id and `v<version>` parts of a file name (`name(batchID:…)`).
    static func batchAndVersion(of name: String) -> (batchID: String, version: String) {
        let parts = name.split(separator: ".", maxSplits: 2)
        return (parts.first.map(String.init) ?? "", parts.count > 1 ? String(parts[1]) : "")
    }

    /// Removes temporary files a dead writer left, then whole files, least
    /// recently used first, until the folder holds at most `budgetBytes`.
    /// Returns how many files it removed.
    @discardableResult
    public func trim(nowSeconds: Int? = nil) -> Int {
        let nowSeconds = nowSeconds ?? Int(time(nil))
        var removed = 0
        var kept: [Entry] = []
        for entry in entries() {
            if entry.temporary {
                if nowSeconds - entry.modifiedSeconds > Self.abandonedSeconds, unlink(directory + "/" + entry.name) == 0 { removed += 1 }
            } else {
                kept.append(entry)
            }
        }
        var total = kept.reduce(0) { $0 + $1.size }
        for entry in kept.sorted(by: { $0.modifiedSeconds < $1.modifiedSeconds }) where total > budgetBytes {
            if unlink(directory + "/" + entry.name) == 0 { removed += 1 }
            total -= entry.size
        }
        return removed
    }

    /// One file in the folder.
    struct Entry {
        var name: String
        var batchID: String
        var version: String
        var temporary: Bool
        var size: Int
        var modifiedSeconds: Int
    }

    /// The folder's files (none when it does not exist).
    func entries() -> [Entry] {
        guard let handle = opendir(directory) else { return [] }
        defer { closedir(handle) }
        var found: [Entry] = []
        while let record = readdir(handle) {
            let name = withUnsafeBytes(of: record.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            let one: Entry?
            if name.hasPrefix(RenderedResultsFile.temporaryPrefix) {
                one = entry(name, temporary: true)
            } else if !name.hasPrefix("."), name.contains(".") {
                one = entry(name, temporary: false)
            } else {
                one = nil
            }
            if let one { found.append(one) }
        }
        return found
    }

    private func entry(_ name: String, temporary: Bool) -> Entry? {
        var info = stat()
        guard stat(directory + "/" + name, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        let (batchID, version) = temporary ? ("", "") : Self.batchAndVersion(of: name)
        return Entry(
            name: name, batchID: batchID, version: version, temporary: temporary, size: Int(info.st_size), modifiedSeconds: Int(info.st_mtim.tv_sec))
    }
}
