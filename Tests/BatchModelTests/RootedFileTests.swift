import BatchModel
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Item files open only beneath the root, never through a symlink, and only when
/// they are regular files.
@Suite struct RootedFileTests {
    @Test func onlyRegularFilesBeneathTheRootWithoutSymlinksOpen() throws {
        let base = NSTemporaryDirectory() + "batchd-rooted-" + UUID().uuidString.prefix(8).lowercased()
        let root = base + "/root"
        defer { try? FileManager.default.removeItem(atPath: base) }
        try FileManager.default.createDirectory(atPath: root + "/docs/deeper", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: base + "/outside", withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: root + "/docs/deeper/a.txt", contents: Data("inside".utf8))
        _ = FileManager.default.createFile(atPath: base + "/outside/b.txt", contents: Data("outside".utf8))
        try FileManager.default.createSymbolicLink(atPath: root + "/link.txt", withDestinationPath: root + "/docs/deeper/a.txt")
        try FileManager.default.createSymbolicLink(atPath: root + "/out", withDestinationPath: base + "/outside")
        #expect(mkfifo(root + "/fifo", 0o644) == 0)
        let files = RootedFile(ingestRoot: root)
        func outcome(_ path: String) -> Result<String, RootedFile.Failure> {
            files.open(path).map { fd in
                defer { close(fd) }
                var buffer = [UInt8](repeating: 0, count: 64)
                let n = read(fd, &buffer, 64)
                return String(decoding: buffer.prefix(max(0, n)), as: UTF8.self)
            }
        }
        #expect(outcome("docs/deeper/a.txt") == .success("inside"))
        #expect(outcome("docs//deeper/a.txt") == .failure(.invalidPath))
        // Rows stored before paths were kept relative hold the absolute path beneath the root.
        #expect(outcome(root + "/docs/deeper/a.txt") == .success("inside"))
        #expect(outcome("link.txt") == .failure(.symlink))
        #expect(outcome("out/b.txt") == .failure(.symlink))
        #expect(outcome("fifo") == .failure(.notRegularFile))
        #expect(outcome("docs") == .failure(.notRegularFile))
        #expect(outcome("docs/missing.txt") == .failure(.notFound))
        #expect(outcome("docs/deeper/a.txt/x") == .failure(.notFound))
        for path in ["../outside/b.txt", "docs/../../outside/b.txt", "./docs/deeper/a.txt", "", "a\u{0}b"] {
            #expect(outcome(path) == .failure(.invalidPath), "\(path)")
        }
        #expect(RootedFile(ingestRoot: nil).open("docs/deeper/a.txt").map { close($0) } == .failure(.noIngestRoot))
        // batchd's own absolute paths (upload blobs) open the same careful way.
        #expect(outcome("/dev/null") == .failure(.notRegularFile))
        #expect(outcome(base + "/outside/b.txt") == .success("outside"))
    }
}
