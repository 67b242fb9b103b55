import Testing

@testable import BatchAPI

/// `Range` headers: the three forms parse, everything else is no range, and
/// a range resolves inside the representation or not at all (a 416).
struct ByteRangeTests {
    @Test(arguments: [
        ("bytes=0-", ByteRange.from(0)), ("bytes=10-99", .fromTo(10, 99)), ("bytes=-500", .suffix(500)), (" Bytes=7- ", .from(7)),
        ("BYTES=3-3", .fromTo(3, 3)),
    ])
    func theThreeFormsParse(_ header: String, _ expected: ByteRange) {
        #expect(ByteRange(header: header) == expected)
    }

    @Test(arguments: [
        "", "bytes=", "bytes=-", "bytes=-0", "bytes=5-4", "bytes=0-1,3-4", "bytes=a-", "bytes=1-b", "items=0-", "bytes 0-",
        "bytes=1234567890123456789-",
        "bytes=+1-", "bytes=0--1",
    ])
    func anythingElseIsNoRange(_ header: String) {
        #expect(ByteRange(header: header) == nil)
    }

    @Test func rangesResolveInsideTheRepresentation() {
        #expect(ByteRange.from(10).resolve(length: 100) == 10...99)
        #expect(ByteRange.from(100).resolve(length: 100) == nil)
        #expect(ByteRange.fromTo(90, 500).resolve(length: 100) == 90...99)
        #expect(ByteRange.fromTo(100, 500).resolve(length: 100) == nil)
        #expect(ByteRange.suffix(30).resolve(length: 100) == 70...99)
        #expect(ByteRange.suffix(300).resolve(length: 100) == 0...99)
        #expect(ByteRange.suffix(1).resolve(length: 0) == nil)
    }
}
