import BatchModel
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Rendered results downloads: a file is in the folder under its name only once
/// it was kept whole; a new version replaces a batch's older files; the folder
/// stays under its budget, least recently used first.
@Suite struct RenderedResultsFolderTests {
    /// A fresh folder for one test, removed by `done`.
    func folder(budget: Int) throws -> RenderedResultsFolder {
        let directory = NSTemporaryDirectory() + "batchd-results-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return RenderedResultsFolder(directory: directory, budgetBytes: budget)
    }

    func names(_ folder: RenderedResultsFolder) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.directory)) ?? []).sorted()
    }

    /// Writes and keeps `name` with `count` bytes.
    func write(_ folder: RenderedResultsFolder, _ name: String, count: Int) throws {
        let file = try #require(folder.create(name))
        file.append([UInt8](repeating: 0x61, count: count / 2))
        file.append([UInt8](repeating: 0x62, count: count - count / 2))
        file.keep()
    }

    /// Sets a file's modification (use) time to `seconds` ago.
    func age(_ folder: RenderedResultsFolder, _ name: String, seconds: Int) {
        let then = timespec(tv_sec: time(nil) - seconds, tv_nsec: 0)
        var times = [then, then]
        _ = utimensat(AT_FDCWD, folder.directory + "/" + name, &times, 0)
    }

    @Test func nameSaysBatchVersionViewAndFormat() {
        #expect(RenderedResultsFolder.name(batchID: "batch-abc", version: 12, view: "failed", fileExtension: "csv") == "batch-abc.v12.failed.csv")
    }

    @Test func aFileIsThereOnlyOnceKeptWhole() throws {
        let folder = try folder(budget: 1 << 20)
        defer { try? FileManager.default.removeItem(atPath: folder.directory) }
        let file = try #require(folder.create("batch-a.v1.all.jsonl"))
        file.append(Array("one\n".utf8))
        #expect(folder.size(of: "batch-a.v1.all.jsonl") == nil)
        #expect(names(folder).count == 1 && names(folder)[0].hasPrefix(".partial-"))
        file.keep()
        #expect(folder.size(of: "batch-a.v1.all.jsonl") == 4)
        #expect(names(folder) == ["batch-a.v1.all.jsonl"])
        #expect(!file.isOpen)
        // Writing after keep changes nothing.
        file.append(Array("two\n".utf8))
        #expect(folder.size(of: "batch-a.v1.all.jsonl") == 4)
    }

    @Test func aFileNotKeptLeavesNothing() throws {
        let folder = try folder(budget: 1 << 20)
        defer { try? FileManager.default.removeItem(atPath: folder.directory) }
        do {
            let file = try #require(folder.create("batch-a.v1.all.jsonl"))
            file.append(Array("partial".utf8))
        }
        #expect(names(folder).isEmpty)
        let abandoned = try #require(folder.create("batch-a.v1.all.jsonl"))
        abandoned.append(Array("partial".utf8))
        abandoned.abandon()
        abandoned.keep()
        #expect(names(folder).isEmpty)
    }

    @Test func aFileLargerThanTheBudgetIsNotKept() throws {
        let folder = try folder(budget: 100)
        defer { try? FileManager.default.removeItem(atPath: folder.directory) }
        try write(folder, "batch-a.v1.all.jsonl", count: 101)
        #expect(names(folder).isEmpty)
        try write(folder, "batch-a.v1.all.jsonl", count: 100)
        #expect(names(folder) == ["batch-a.v1.all.jsonl"])
        #expect(RenderedResultsFolder(directory: folder.directory, budgetBytes: 0).create("batch-b.v1.all.jsonl") == nil)
    }

    @Test func aNewVersionReplacesTheBatchsOlderFilesOnly() throws {
        let folder = try folder(budget: 1 << 20)
        defer { try? FileManager.default.removeItem(atPath: folder.directory) }
        try write(folder, "batch-a.v1.all.jsonl", count: 10)
        try write(folder, "batch-a.v1.failed.csv", count: 10)
        try write(folder, "batch-ab.v1.all.jsonl", count: 10)
        try write(folder, "batch-a.v2.all.csv", count: 10)
        #expect(names(folder) == ["batch-a.v2.all.csv", "batch-ab.v1.all.jsonl"])
        try write(folder, "batch-a.v2.failed.jsonl", count: 10)
        #expect(names(folder) == ["batch-a.v2.all.csv", "batch-a.v2.failed.jsonl", "batch-ab.v1.all.jsonl"])
        folder.removeFiles(ofBatch: "batch-a")
        #expect(names(folder) == ["batch-ab.v1.all.jsonl"])
    }

    @Test func trimKeepsTheBudgetLeastRecentlyUsedFirst() throws {
        let folder = try folder(budget: 1 << 20)
        defer { try? FileManager.default.removeItem(atPath: folder.directory) }
        for (index, name) in ["batch-a.v1.all.jsonl", "batch-b.v1.all.jsonl", "batch-c.v1.all.jsonl"].enumerated() {
            try write(folder, name, count: 400)
            age(folder, name, seconds: 300 - index * 100)
        }
        // Reading a marks it used: b is now the oldest.
        #expect(folder.size(of: "batch-a.v1.all.jsonl") == 400)
        let tight = RenderedResultsFolder(directory: folder.directory, budgetBytes: 900)
        #expect(tight.trim() == 1)
        #expect(names(folder) == ["batch-a.v1.all.jsonl", "batch-c.v1.all.jsonl"])
        // Keeping a file trims too: c (older than a) goes.
        try write(tight, "batch-d.v1.all.jsonl", count: 400)
        #expect(names(folder) == ["batch-a.v1.all.jsonl", "batch-d.v1.all.jsonl"])
    }

    @Test func trimRemovesOnlyAbandonedPartialFiles() throws {
        let folder = try folder(budget: 1 << 20)
        defer { try? FileManager.default.removeItem(atPath: folder.directory) }
        _ = FileManager.default.createFile(atPath: folder.directory + "/.partial-old-batch-a.v1.all.jsonl", contents: Data("x".utf8))
        _ = FileManager.default.createFile(atPath: folder.directory + "/.partial-new-batch-b.v1.all.jsonl", contents: Data("x".utf8))
        age(folder, ".partial-old-batch-a.v1.all.jsonl", seconds: 7200)
        #expect(folder.trim() == 1)
        #expect(names(folder) == [".partial-new-batch-b.v1.all.jsonl"])
    }
}
