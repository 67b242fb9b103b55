import BatchCodecs
import BatchModel
import BatchStore
import Testing

@testable import BatchAPI

/// Items left in the JSON body and read a row at a time are the same items, row
/// errors and refusals as items parsed whole.
@Suite struct DeferredItemsTests {
    let parser = BatchRequestParser(limits: BatchLimits())

    func both(_ text: String) throws(APIError) -> (held: NewBatch, deferred: NewBatch) {
        guard case .object(let whole) = try? JSONParser.parse(text),
            let (value, items) = try? JSONParser.parse(Array(text.utf8), deferringArrayAt: "items"), case .object(let object) = value
        else { throw APIError(.validationError, "test body is not an object") }
        return (try parser.parseCreate(whole), try parser.parseCreate(object, deferredItems: items))
    }

    @Test func deferredRowsMakeTheSameBatch() throws {
        let text = """
            {"processor":"noop","items":[{"content":"one","custom_id":"a","context":{"k":1}},{"content":""},
            {"content_base64":"aGk=","filename":"hi.txt"},{"content":"x","content_base64":"eA=="},"not an object",
            {"content":"last","custom_id":"z"}]}
            """
        let (held, deferred) = try both(text)
        #expect(deferred.items.count == held.items.count)
        #expect(deferred.items.totalBytes == held.items.totalBytes)
        #expect(deferred.items.all == held.items.all)
        #expect(deferred.items.all.map(\.row) == [1, 3, 6])
        #expect(deferred.validationErrors == held.validationErrors)
        #expect(deferred.rowCount == 6)
        // Walked twice, the same items again.
        #expect(deferred.items.all == deferred.items.all)
    }

    @Test func deferredRowsAreRefusedLikeHeldOnes() {
        for text in [
            #"{"items":[{"content":"a","custom_id":"c"},{"content":"b","custom_id":"c"}]}"#,
            #"{"items":[{"content":"a","colour":"red"}]}"#,
            #"{"items":[]}"#,
            #"{"items":[{"content":"a","custom_id":"a\u0000b"}]}"#,
        ] {
            var heldError: APIError?
            var deferredError: APIError?
            let whole = (try? JSONParser.parse(text))?.objectValue ?? JSONObject()
            let (value, items) = (try? JSONParser.parse(Array(text.utf8), deferringArrayAt: "items")) ?? (.null, nil)
            do { _ = try parser.parseCreate(whole) } catch { heldError = error }
            do { _ = try parser.parseCreate(value.objectValue ?? JSONObject(), deferredItems: items) } catch { deferredError = error }
            #expect(heldError != nil, "\(text)")
            #expect(heldError?.message == deferredError?.message, "\(text)")
        }
    }
}

extension JSONValue {
    var objectValue: JSONObject? {
        if case .object(let object) = self { return object }
        return nil
    }
}
