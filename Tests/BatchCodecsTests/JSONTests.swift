import Testing

@testable import BatchCodecs

@Suite struct JSONTests {
    @Test func writesObjectsInInsertionOrder() {
        let doc: JSONValue = ["b": 1, "a": "x", "c": [true, nil, 1.5]]
        #expect(JSONWriter.string(doc) == #"{"b":1,"a":"x","c":[true,null,1.5]}"#)
    }

    @Test func escapesStrings() {
        #expect(JSONWriter.string(.string("a\"b\\c\n\u{01}é")) == #""a\"b\\c\n\u0001é""#)
    }

    @Test func nonFiniteDoublesBecomeNull() {
        #expect(JSONWriter.string(.double(.nan)) == "null")
        #expect(JSONWriter.string(.double(.infinity)) == "null")
    }

    @Test func parsesWhatItWrites() throws {
        let doc: JSONValue = ["name": "Monthly ✓", "n": -42, "f": 0.25, "list": [1, "two", ["deep": nil]], "ok": false]
        #expect(try JSONParser.parse(JSONWriter.bytes(doc)) == doc)
    }

    @Test func parsesEscapesAndSurrogatePairs() throws {
        #expect(try JSONParser.parse(#""\u00e9\ud83d\ude00\/\t""#) == .string("é😀/\t"))
    }

    @Test func keepsIntegersAndDoublesApart() throws {
        #expect(try JSONParser.parse("12") == .int(12))
        #expect(try JSONParser.parse("12.0") == .double(12))
        #expect(try JSONParser.parse("1e3") == .double(1000))
        #expect(try JSONParser.parse("99999999999999999999") == .double(1e20))
    }

    @Test(arguments: [
        "", "{", "[1,]", "{\"a\":}", "01", "-", "1.", "tru", "\"abc", "\"\\x\"", "\"\\ud800\"", "{\"a\" 1}", "[1] x",
        "\"tab\there\"", "{1:2}", "nan",
    ])
    func rejectsMalformedDocuments(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(text) }
    }

    @Test func rejectsInvalidUTF8InStrings() {
        #expect(throws: JSONParseError.self) { try JSONParser.parse([0x22, 0xFF, 0x22]) }
    }

    @Test func limitsNesting() {
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(deep) }
        let fine = String(repeating: "[", count: 10) + String(repeating: "]", count: 10)
        #expect((try? JSONParser.parse(fine)) != nil)
    }

    @Test func objectSubscriptReplacesAndRemoves() {
        var object: JSONObject = ["a": 1, "b": 2]
        object["a"] = 3
        object["b"] = nil
        object["c"] = 4
        #expect(object.keys == ["a", "c"])
        #expect(object["a"] == .int(3))
    }
}

/// The parser's fast paths and the large-object index agree with the slow ones.
@Suite struct JSONFastPathTests {
    @Test(arguments: [
        ("0", JSONValue.int(0)), ("-0", .int(0)), ("-123", .int(-123)), ("999999999999999999", .int(999_999_999_999_999_999)),
        ("-999999999999999999", .int(-999_999_999_999_999_999)), ("9223372036854775807", .int(Int64.max)),
        ("-9223372036854775808", .int(Int64.min)), ("9223372036854775808", .double(9.223372036854775808e18)), ("1.5", .double(1.5)),
    ])
    func integersParseExactly(_ text: String, _ expected: JSONValue) throws {
        #expect(try JSONParser.parse(text) == expected)
    }

    @Test func stringsWithAndWithoutEscapes() throws {
        #expect(try JSONParser.parse(#""plain""#) == "plain")
        #expect(try JSONParser.parse(#""caf\u00e9 and café""#) == "café and café")
        #expect(try JSONParser.parse(#""a\"b""#) == "a\"b")
        #expect(throws: JSONParseError.self) { try JSONParser.parse([0x22, 0xC3, 0x28, 0x22]) }
        #expect(throws: JSONParseError.self) { try JSONParser.parse([0x22, 0x61, 0x0A, 0x22]) }
    }

    @Test func largeObjectsKeepOrderAndFindEveryKey() throws {
        var object = JSONObject()
        for i in 0..<1000 { object["k\(i)"] = .int(Int64(i)) }
        #expect(object.keys.prefix(3) == ["k0", "k1", "k2"])
        #expect((0..<1000).allSatisfy { object["k\($0)"] == .int(Int64($0)) })
        object["k500"] = .string("changed")
        object["k10"] = nil
        #expect(object["k500"] == "changed")
        #expect(object["k10"] == nil)
        #expect(object["k999"] == 999)
        #expect(object.pairs.count == 999)
        object["k10"] = true
        #expect(object.keys.last == "k10")
        let inserted = object.insertNew("k10", false)
        #expect(!inserted)
    }

    @Test(arguments: [3, 16, 17, 5000])
    func aRepeatedKeyIsNamedWhereItRepeats(keys: Int) throws {
        let head = "{" + (0..<keys).map { #""k\#($0)":\#($0)"# }.joined(separator: ",") + ","
        let text = head + #""k1":true}"#
        do {
            _ = try JSONParser.parse(text)
            Issue.record("a repeated key was accepted")
        } catch {
            #expect(error.duplicateKey == "k1")
            #expect(error.offset == head.utf8.count)
        }
        // The same keys once each, nested inside an array, parse.
        let unique = "[" + head + #""last":null}]"#
        guard case .array(let values) = try JSONParser.parse(unique), case .object(let object) = values.first else {
            Issue.record("not an array of one object")
            return
        }
        #expect(object.pairs.count == keys + 1)
        #expect(object["last"] == .null)
    }
}
