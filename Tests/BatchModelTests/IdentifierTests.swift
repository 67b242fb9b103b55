import BatchCodecs
import Testing

@testable import BatchModel

@Suite struct IdentifierTests {
    @Test func mintedIdsHaveThePrefixAndValidate() {
        for kind in ResourceID.Kind.allCases {
            let id = ResourceID.make(kind)
            #expect(id.hasPrefix(kind.rawValue + "-"))
            #expect(id.count == kind.rawValue.count + 1 + 16)
            #expect(ResourceID.problem(with: id) == nil)
        }
        #expect(ResourceID.make(.batch) != ResourceID.make(.batch))
    }

    @Test func rejectsBadIds() {
        #expect(ResourceID.problem(with: "batch@123") == .invalidCharacters)
        #expect(ResourceID.problem(with: "") == .empty)
        #expect(ResourceID.problem(with: String(repeating: "a", count: 65)) == .tooLong)
        #expect(ResourceID.problem(with: String(repeating: "a", count: 64)) == nil)
        #expect(ResourceID.problem(with: "bätch") == .invalidCharacters)
        #expect(ResourceID.problem(with: "batch_1") == .invalidCharacters)
        #expect(ResourceID.problem(with: "Batch-ABC-123") == nil)
    }

    @Test func spec000Explanation() {
        #expect(ResourceID.Problem.invalidCharacters.explanation == "Batch ID must be alphanumeric with hyphens only")
    }

    @Test func base32MatchesRFC4648() {
        // RFC 4648 test vectors, lower-cased and unpadded.
        #expect(Base32.encode(Array("f".utf8)) == "my")
        #expect(Base32.encode(Array("fo".utf8)) == "mzxq")
        #expect(Base32.encode(Array("foobar".utf8)) == "mzxw6ytboi")
    }

    @Test func apiKeysAreLongRandomAndHashed() {
        let key = APIKeySecret.generate()
        #expect(key.value.hasPrefix("bd_"))
        #expect(key.value.count == 3 + 32)
        #expect(key.visiblePrefix == String(key.value.prefix(11)))
        #expect(key.hash == SHA256.hexHash(Array(key.value.utf8)))
        #expect(key.hash.count == 64)
        #expect(APIKeySecret.generate() != key)
    }
}
