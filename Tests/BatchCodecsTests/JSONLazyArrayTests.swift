import Testing

@testable import BatchCodecs

/// A top-level array left in the body: checked as a whole at parse time, then
/// read element by element, the same values as a full parse.
@Suite struct JSONLazyArrayTests {
    func elements(_ array: JSONLazyArray) -> [JSONValue] {
        var values: [JSONValue] = []
        array.forEach { _, value in values.append(value) }
        return values
    }

    @Test func deferredElementsAreTheParsedOnes() throws {
        let text = #"{"name":"x","items":[{"a":1},"two",[3,{"b":null}],4.5, true ],"after":[1]}"#
        let (value, deferred) = try JSONParser.parse(Array(text.utf8), deferringArrayAt: "items")
        let array = try #require(deferred)
        guard case .array(let full) = try JSONParser.parse(text)["items"] else {
            Issue.record("items is not an array")
            return
        }
        #expect(array.count == 5)
        #expect(elements(array) == full)
        #expect(value["items"] == .array([]))
        #expect(value["after"] == [1])
        guard case .object(let object) = value else { return }
        #expect(object.keys == ["name", "items", "after"])
    }

    @Test func onlyATopLevelArrayIsDeferred() throws {
        for text in [#"{"items":"text"}"#, #"{"inner":{"items":[1]}}"#, #"[{"items":[1]}]"#, #"{"items":[]}"#] {
            let (value, deferred) = try JSONParser.parse(Array(text.utf8), deferringArrayAt: "items")
            if text == #"{"items":[]}"# {
                #expect(deferred?.count == 0)
                #expect(deferred.map(elements) == [])
            } else {
                #expect(deferred == nil)
                #expect(value == (try JSONParser.parse(text)))
            }
        }
    }

    @Test(arguments: [
        #"{"items":[1,]}"#, #"{"items":[{"a":1,"a":2}]}"#, #"{"items":[1],"items":[2]}"#, #"{"items":[1 2]}"#,
        "{\"items\":[\"\u{01}\"]}", #"{"items":[1]"#,
    ])
    func errorsInsideTheArrayAreFoundAtParse(_ text: String) {
        var plain: JSONParseError?
        var deferring: JSONParseError?
        do { _ = try JSONParser.parse(text) } catch { plain = error }
        do { _ = try JSONParser.parse(Array(text.utf8), deferringArrayAt: "items") } catch { deferring = error }
        #expect(plain != nil)
        #expect(plain == deferring)
    }

    @Test func nestingLimitCountsTheDeferredArray() {
        let deep = { (levels: Int) in #"{"items":"# + String(repeating: "[", count: levels) + String(repeating: "]", count: levels) + "}" }
        for levels in [JSONParser.maxDepth - 1, JSONParser.maxDepth, JSONParser.maxDepth + 1] {
            let plain = (try? JSONParser.parse(deep(levels))) != nil
            let deferring = (try? JSONParser.parse(Array(deep(levels).utf8), deferringArrayAt: "items")) != nil
            #expect(plain == deferring, "at \(levels) levels")
        }
    }

    @Test func aWalkStopsWhenAsked() throws {
        let (_, deferred) = try JSONParser.parse(Array(#"{"items":[1,2,3,4]}"#.utf8), deferringArrayAt: "items")
        struct Enough: Error {}
        var seen: [Int] = []
        #expect(throws: Enough.self) {
            try deferred?.forEach { (index, _) throws(Enough) in
                seen.append(index)
                if index == 1 { throw Enough() }
            }
        }
        #expect(seen == [0, 1])
    }
}
