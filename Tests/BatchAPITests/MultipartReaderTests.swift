import Testing

@testable import BatchAPI

@Suite struct MultipartReaderTests {
    static let body = Array(
        ("--XyZ\r\nContent-Disposition: form-data; name=\"collection_id\"\r\n\r\nreports\r\n"
            + "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a \\\"q\\\".txt\"\r\nContent-Type: text/plain\r\n\r\nline one\r\n--XyQ near miss\r\n"
            + "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"b.bin\"\r\n\r\n\u{00}\u{01}\r\n\r\n"
            + "--XyZ--\r\n").utf8)

    func parse(_ bytes: [UInt8], chunk: Int) throws(APIError) -> [(MultipartPart, [UInt8])] {
        let reader = MultipartReader(boundary: "XyZ", source: InMemoryBodyStream(bytes, chunk: chunk))
        var parts: [(MultipartPart, [UInt8])] = []
        while let part = try reader.nextPart() {
            var content: [UInt8] = []
            try reader.readBody { content.append(contentsOf: $0) }
            parts.append((part, content))
        }
        return parts
    }

    @Test(arguments: [1, 2, 3, 7, 64, 65536])
    func readsPartsWhateverTheChunking(_ chunk: Int) throws {
        let parts = try parse(Self.body, chunk: chunk)
        #expect(parts.map(\.0.name) == ["collection_id", "file", "file"])
        #expect(parts[0].1 == Array("reports".utf8))
        #expect(parts[1].0.filename == "a \"q\".txt")
        #expect(parts[1].0.contentType == "text/plain")
        #expect(parts[1].1 == Array("line one\r\n--XyQ near miss".utf8))
        #expect(parts[2].1 == [0, 1, 13, 10])
    }

    @Test func skipsUnreadParts() throws {
        let reader = MultipartReader(boundary: "XyZ", source: InMemoryBodyStream(Self.body, chunk: 5))
        var names: [String] = []
        while let part = try reader.nextPart() { names.append(part.name) }
        #expect(names == ["collection_id", "file", "file"])
    }

    @Test(arguments: [
        "no boundary at all",
        "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nunterminated",
        "--XyZ\r\nContent-Type: text/plain\r\n\r\nx\r\n--XyZ--",
        "--XyZ\r\nContent-Disposition: attachment\r\n\r\nx\r\n--XyZ--",
        "--XyZ",
    ])
    func malformedBodiesAre400(_ text: String) {
        #expect(throws: APIError.self) { try parse(Array(text.utf8), chunk: 3) }
    }

    @Test func findsTheBoundary() {
        #expect(MultipartReader.boundary(of: ContentType(header: "multipart/form-data; boundary=----abc")) == "----abc")
        #expect(MultipartReader.boundary(of: ContentType(header: "multipart/form-data; charset=utf-8; boundary=\"q r\"")) == "q r")
        #expect(MultipartReader.boundary(of: ContentType(header: "application/json")) == nil)
        #expect(MultipartReader.boundary(of: ContentType(header: "multipart/form-data")) == nil)
        #expect(MultipartReader.boundary(of: ContentType(header: "Multipart/Form-Data ;BOUNDARY=x")) == "x")
    }

    @Test func contentTypeIsReadOnceWhateverItsSpelling() {
        let type = ContentType(header: " Text/CSV ; charset=\"utf-8\"; charset=latin1; junk; =x")
        #expect(type.mediaType == "text/csv")
        #expect(type.parameters == ["charset": "utf-8", "": "x"])
        #expect(ContentType(header: nil).mediaType == "")
        #expect(ContentType(header: ";;;").mediaType == "")
        #expect(RowBodyParser.format(of: type) == .csv)
        #expect(RowBodyParser.format(of: ContentType(header: "application/x-ndjson")) == .ndjson)
        #expect(RowBodyParser.format(of: ContentType(header: "application/json")) == nil)
    }

    @Test func largePartsStreamInBoundedPieces() throws {
        let payload = [UInt8](repeating: 0x41, count: 3 << 20)
        let body =
            Array("--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big\"\r\n\r\n".utf8) + payload + Array("\r\n--XyZ--".utf8)
        let reader = MultipartReader(boundary: "XyZ", source: InMemoryBodyStream(body))
        _ = try reader.nextPart()
        var total = 0
        var largest = 0
        try reader.readBody { piece in
            total += piece.count
            largest = max(largest, piece.count)
        }
        #expect(total == payload.count)
        #expect(largest <= 2 * MultipartReader.chunk)
    }
}
