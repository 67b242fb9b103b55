import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Faults that must not hide or leave things half done: a batchd killed in the
/// middle of an upload leaves a partial blob, which the next start removes
/// while every blob an item owns stays.
@Suite(.serialized) struct FaultTests {
    @Test func partialUploadBlobsAreSweptAtStart() throws {
        let stack = try TestStack()
        defer { stack.stop() }
        let created = try stack.upload([("kept.txt", Array("three words here".utf8))])
        #expect(created.status == 201, "\(created.text)")
        let blobs = stack.directory + "/var/blobs"
        let owned = try FileManager.default.contentsOfDirectory(atPath: blobs)
        #expect(owned.count == 1)
        // What a batchd killed while streaming an upload leaves: a blob no item names.
        let partial = blobs + "/item_partial0000000000.blob"
        FileManager.default.createFile(atPath: partial, contents: Data(repeating: 0x61, count: 4096))
        stack.killBatchd()
        try stack.startBatchd()
        try stack.waitUntil(seconds: 15, "the partial blob swept") { !FileManager.default.fileExists(atPath: partial) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: blobs) == owned)
        try stack.waitUntil(seconds: 10, "batchd answering") { (try? stack.get("/healthz").status) == 200 }
        #expect(stack.readLog("batchd.log").contains("orphaned upload blobs removed"))
    }
}
