import Foundation
import Testing

@testable import FuzzTargets

/// Every committed input of every fuzz target, seeds and past findings alike,
/// runs through its target in the ordinary test run: a crash fuzzing found
/// stays fixed. (`deploy/fuzz` explores beyond them.)
@Suite struct CorpusTests {
    static let corpus: String = {
        var url = URL(fileURLWithPath: #filePath)
        url.deleteLastPathComponent()
        return url.path + "/Corpus"
    }()

    @Test(arguments: FuzzTargets.all.keys.sorted())
    func corpusRunsClean(_ name: String) throws {
        let target = try #require(FuzzTargets.all[name])
        let folder = Self.corpus + "/" + name
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        #expect(!files.isEmpty, "no seeds for \(name)")
        for file in files {
            let bytes = try #require(FileManager.default.contents(atPath: folder + "/" + file))
            target(Array(bytes))
        }
    }

    @Test func everyTargetHasACorpus() throws {
        let folders = Set(try FileManager.default.contentsOfDirectory(atPath: Self.corpus))
        #expect(folders == Set(FuzzTargets.all.keys))
    }
}
