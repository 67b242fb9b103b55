import BatchCodecs
import BatchModel
import BatchStore
import Testing

@testable import BatchAPI

/// Bodies built to make a parser slow, to slip a character past a name, or to
/// confuse a part's headers: each is a 400 that says why, and stores nothing.
@Suite struct HostileBodyTests {
    func batches(_ f: ApplicationFixture) throws -> Int {
        Int(try f.connection.statement("SELECT count(*) FROM batches").firstRow { $0.int(0) } ?? -1)
    }

    @Test func duplicateKeysAreRefusedNamingTheKey() throws {
        let f = try ApplicationFixture()
        let (response, body) = f.send("POST", "/v1/batches", key: f.clientKey, body: #"{"processor":"noop","items":[{"content":"a","content":"b"}]}"#)
        #expect(response.status == 400)
        #expect(body["details"]?["key"] == "content")
        #expect(body["message"]?.stringValue?.contains("'content' more than once") == true)
        #expect(try batches(f) == 0)
    }

    @Test func manyKeysParseInLinearTime() throws {
        // 40,000 keys took 5.7 s when every insert searched the object; now a few ms.
        let object = "{" + (0..<100_000).map { #""k\#($0)":\#($0)"# }.joined(separator: ",") + "}"
        guard case .object(let parsed) = try JSONParser.parse(object) else {
            Issue.record("not an object")
            return
        }
        #expect(parsed.pairs.count == 100_000)
        #expect(parsed["k99999"] == 99_999)
        #expect(parsed.keys.first == "k0")
        let duplicate = "{" + (0..<50_000).map { #""k\#($0)":1"# }.joined(separator: ",") + #","k123":2}"#
        #expect(throws: JSONParseError.self) { try JSONParser.parse(duplicate) }
    }

    @Test(arguments: ["a\u{0}b", "tab\there", "bell\u{7}", "c1\u{85}x", "del\u{7F}"])
    func controlCharactersInNamesAreRefused(_ name: String) throws {
        let f = try ApplicationFixture()
        let escaped = String(JSONWriter.string(.string(name)))
        for body in [
            #"{"processor":"noop","batch_name":\#(escaped),"items":[{"content":"a"}]}"#,
            #"{"processor":"noop","items":[{"content":"a","filename":\#(escaped)}]}"#,
            #"{"processor":"noop","collection":\#(escaped),"items":[{"content":"a"}]}"#,
            #"{"processor":"noop","items":[{"content":"a","custom_id":\#(escaped)}]}"#,
        ] {
            let (response, answer) = f.send("POST", "/v1/batches", key: f.clientKey, body: body)
            #expect(response.status == 400, "\(body)")
            #expect(answer["message"]?.stringValue?.contains("control character") == true, "\(answer)")
        }
        #expect(try batches(f) == 0)
    }

    @Test func namesKeepEveryOtherCharacter() throws {
        let f = try ApplicationFixture()
        let name = #"C:\Users\ann\rapport "final" é 😀.txt"#
        let (response, body) = f.send(
            "POST", "/v1/batches", key: f.clientKey,
            body: #"{"processor":"noop","items":[{"content":"a","filename":\#(JSONWriter.string(.string(name)))}]}"#)
        #expect(response.status == 201, "\(body)")
        #expect(try f.connection.statement("SELECT filename FROM items").firstRow { $0.text(0) } == name)
    }

    @Test func csvHeadersAreBounded() throws {
        let f = try ApplicationFixture()
        let wide = "content," + (0..<2000).map { "context.c\($0)" }.joined(separator: ",") + "\nx" + String(repeating: ",v", count: 2000) + "\n"
        let (response, body) = f.send(
            "POST", "/v1/batches", key: f.clientKey, query: "processor=noop", body: wide, headers: ["content-type": "text/csv"])
        #expect(response.status == 400)
        #expect(body["details"]?["limit_columns"] == 1004)
        let repeated = f.send(
            "POST", "/v1/batches", key: f.clientKey, query: "processor=noop", body: "content,context.a,context.a\nx,1,2\n",
            headers: ["content-type": "text/csv"])
        #expect(repeated.0.status == 400)
        #expect(repeated.1["details"]?["column"] == "context.a")
        // Within the limit, 1,000 context columns are fine and linear.
        let fine = "content," + (0..<1000).map { "context.c\($0)" }.joined(separator: ",") + "\nx" + String(repeating: ",v", count: 1000) + "\n"
        #expect(
            f.send("POST", "/v1/batches", key: f.clientKey, query: "processor=noop", body: fine, headers: ["content-type": "text/csv"]).0.status
                == 201)
        #expect(try batches(f) == 1)
    }

    @Test func contextObjectsAreBounded() throws {
        let f = try ApplicationFixture()
        let context = "{" + (0..<1001).map { #""k\#($0)":1"# }.joined(separator: ",") + "}"
        let (response, body) = f.send(
            "POST", "/v1/batches", key: f.clientKey, body: #"{"processor":"noop","items":[{"content":"a","context":\#(context)}]}"#)
        #expect(response.status == 400)
        #expect(body["details"]?["field"] == "items[0].context")
    }
}

/// A write that could only be answered after nginx's timeout is never applied.
@Suite struct CommitDeadlineTests {
    @Test func aLateWriteIsRefusedAndStoresNothing() throws {
        // A deadline already passed: every create and append must be refused.
        let f = try ApplicationFixture(commitDeadlineMilliseconds: -1)
        let (created, body) = f.send("POST", "/v1/batches", key: f.clientKey, body: #"{"processor":"noop","items":[{"content":"a"}]}"#)
        #expect(created.status == 503)
        #expect(body["details"]?["operation"] == "create_batch")
        #expect(created.headers.contains { $0.name == "Retry-After" })
        let csv = f.send(
            "POST", "/v1/batches", key: f.clientKey, query: "processor=noop", body: "content\nx\n", headers: ["content-type": "text/csv"])
        #expect(csv.0.status == 503)
        #expect(Int(try f.connection.statement("SELECT count(*) FROM batches").firstRow { $0.int(0) } ?? -1) == 0)
    }
}

/// Part headers that once re-parsed a field name, dropped backslashes or passed the header cap.
@Suite struct HostileMultipartTests {
    func parts(_ headers: String) throws(APIError) -> [MultipartPart] {
        let body = Array("--B\r\n\(headers)\r\n\r\nx\r\n--B--\r\n".utf8)
        let reader = MultipartReader(boundary: "B", source: InMemoryBodyStream(body, chunk: 65536))
        var parts: [MultipartPart] = []
        while let part = try reader.nextPart() { parts.append(part) }
        return parts
    }

    @Test func anEscapedQuoteStaysInTheFilename() throws {
        let part = try parts(#"Content-Disposition: form-data; name="file"; filename="a\"; name=\"evil.txt""#)
        #expect(part.first?.name == "file")
        #expect(part.first?.filename == #"a"; name="evil.txt"#)
    }

    @Test func backslashesAreKept() throws {
        let part = try parts(#"Content-Disposition: form-data; name="file"; filename="C:\Users\x\report.pdf""#)
        #expect(part.first?.filename == #"C:\Users\x\report.pdf"#)
    }

    @Test(arguments: [
        #"Content-Disposition: form-data; name="file"; filename="open"#,
        #"Content-Disposition: form-data; name="file"; name="other""#,
        #"Content-Disposition: form-data; name="file"; filename="a"junk"#,
        "Content-Disposition: form-data; name=\"file\"; filename=\"" + String(repeating: "n", count: 20 << 10) + "\"",
    ])
    func malformedHeadersAreRefused(_ header: String) {
        #expect(throws: APIError.self) { try parts(header) }
    }
}
