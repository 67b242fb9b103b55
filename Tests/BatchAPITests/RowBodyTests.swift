import BatchCodecs
import BatchModel
import BatchStore
import Testing

@testable import BatchAPI

/// CSV and NDJSON batch bodies (Check's inputFormat csv/json).
@Suite struct RowBodyTests {
    func post(_ f: ApplicationFixture, _ body: String, type: String, query: String = "processor=noop") -> (HTTPResponse, JSONValue) {
        f.send("POST", "/v1/batches", key: f.clientKey, query: query, body: body, headers: ["content-type": type])
    }

    /// The query's options fill what a JSON body leaves out (null counts as left out);
    /// the body wins; a bad option is a 400 though the body gives its own value.
    @Test func queryOptionsFillAJSONBody() throws {
        let query = try BatchRequestParser(limits: BatchLimits()).queryOptions(
            QueryParameters(parsing: "batch_name=Q&max_concurrent=4&priority=high"))
        let filled = RowBodyParser.filling(["batch_name": "B", "configuration": .null], from: query)
        #expect(filled["batch_name"] == "B")
        #expect(filled["configuration"] == ["max_concurrent": 4, "priority": "high"])
        let kept = RowBodyParser.filling(["configuration": ["priority": "low"]], from: query)
        #expect(kept["batch_name"] == "Q")
        #expect(kept["configuration"] == ["priority": "low", "max_concurrent": 4])
        let f = try ApplicationFixture()
        let (refused, body) = f.send(
            "POST", "/v1/batches", key: f.clientKey, query: "priority=urgent",
            body: #"{"processor":"noop","configuration":{"priority":"low"},"items":[{"content":"x"}]}"#)
        #expect(refused.status == 400)
        #expect(body["details"]?["field"] == "configuration.priority")
    }

    @Test func csvRowsBecomeItemsWithContext() throws {
        let f = try ApplicationFixture()
        let csv = "content,filename,custom_id,context.lang\r\nhello,a.txt,r1,en\r\n\"quoted, with \"\"quotes\"\"\nand a newline\",b.txt,r2,fr\r\n"
        let (response, body) = post(f, csv, type: "text/csv", query: "processor=noop&batch_name=Imported&max_concurrent=7")
        #expect(response.status == 201, "\(body)")
        #expect(body["data"]?["batch_name"] == "Imported")
        let id = body["data"]?["batch_id"]?.stringValue ?? ""
        let items = try f.connection.statement("SELECT custom_id, CAST(content AS TEXT), context FROM items WHERE batch_id = ? ORDER BY seq").bind(
            .text(id)
        )
        .rows { "\($0.text(0))|\($0.text(1))|\($0.text(2))" }
        #expect(items == [#"r1|hello|{"lang":"en"}"#, "r2|quoted, with \"quotes\"\nand a newline|{\"lang\":\"fr\"}"])
        #expect(try BatchRecords(f.connection).find(id: id, tenantID: f.tenant.id)?.configuration.maxConcurrent == 7)
    }

    @Test func badRowsAreRowErrors() throws {
        let f = try ApplicationFixture()
        let (_, csv) = post(f, "content,custom_id\nok,1\n,2\nthree,fields,here\n", type: "text/csv")
        #expect(csv["data"]?["status"] == "failed")
        guard case .array(let errors) = csv["data"]?["validation_errors"] else {
            Issue.record("no validation_errors")
            return
        }
        #expect(errors.compactMap { $0["row"]?.intValue } == [2, 3])
        let (_, ndjson) = post(f, "{\"content\":\"a\"}\nnot json\n\n{\"content\":\"\"}\n", type: "application/x-ndjson")
        #expect(ndjson["data"]?["status"] == "failed")
        guard case .array(let lineErrors) = ndjson["data"]?["validation_errors"] else { return }
        #expect(lineErrors.compactMap { $0["row"]?.intValue } == [2, 3])
        #expect(lineErrors.first?["error"] == "line is not valid JSON: invalid literal at byte 0")
    }

    @Test func csvFieldsComeFromTheBytesAsWritten() throws {
        let text = "a,\"b,\"\"c\"\"\",é中\r\n\r\n\"multi\nline\",x\ry,\n,,\nlast"
        #expect(try CSVParser.parse(text) == [["a", "b,\"c\"", "é中"], ["multi\nline", "xy", ""], ["", "", ""], ["last"]])
        #expect(throws: APIError.self) { try CSVParser.parse("a,\"open\nb") }
        // A row keeps at most maxFields fields; the rest are read past.
        let wide = "a,b\n" + (0..<200_000).map { "c\($0)" }.joined(separator: ",") + "\nnext,row\n"
        let rows = try CSVParser.parse(wide, maxFields: 5)
        #expect(rows == [["a", "b"], ["c0", "c1", "c2", "c3", "c4"], ["next", "row"]])
        // A header that wide ends the parse: the caller refuses it anyway.
        #expect(try CSVParser.parse(String(wide.dropFirst(4)), maxFields: 5) == [["c0", "c1", "c2", "c3", "c4"]])
    }

    @Test func rowsWiderThanTheHeaderAreRowErrors() throws {
        let f = try ApplicationFixture()
        let wide = "x," + (0..<5000).map { "v\($0)" }.joined(separator: ",")
        let (_, body) = post(f, "content\nok\n" + wide + "\n", type: "text/csv")
        #expect(body["data"]?["status"] == "failed")
        guard case .array(let errors) = body["data"]?["validation_errors"] else {
            Issue.record("no validation_errors")
            return
        }
        #expect(errors.first?["error"] == "row has more fields than the header's 1")
    }

    @Test func ndjsonLinesAreItems() throws {
        let f = try ApplicationFixture()
        let (response, body) = post(
            f, "{\"content\":\"a\",\"custom_id\":\"x\"}\r\n{\"content_base64\":\"aGk=\"}\n", type: "application/x-ndjson; charset=utf-8")
        #expect(response.status == 201)
        #expect(body["data"]?["total_items"] == 2)
        #expect(body["data"]?["status"] == "created")
    }

    @Test(arguments: [
        ("content\n\"open", "text/csv", "processor=noop"),
        ("name\nx", "text/csv", "processor=noop"),
        ("content,colour\nx,red", "text/csv", "processor=noop"),
        ("content\nx", "text/csv", "processor=noop&max_concurrent=many"),
        ("content\nx", "text/csv", "processor=noop&flavour=1"),
        ("content\nx", "text/csv", "processor=noop&submit=maybe"),
        ("content\nx\nx", "text/csv", "processor=noop&priority=urgent"),
    ])
    func malformedBodiesAndParametersAre400(_ body: String, _ type: String, _ query: String) throws {
        let f = try ApplicationFixture()
        let (response, document) = post(f, body, type: type, query: query)
        #expect(response.status == 400, "\(document)")
        #expect(try f.connection.statement("SELECT count(*) FROM batches").firstRow { $0.int(0) } == 0)
    }
}
