import BatchCodecs
import BatchDocuments
import BatchModel
import Foundation
import Testing

@testable import BatchStore

/// The lines of a results download: valid JSON with the stored result as it
/// is, RFC 4180 CSV whatever the text holds, the same bytes for the same row.
struct ResultsFormatTests {
    let row = ItemResultRow(
        id: "item-1", seq: 7, customID: "a,\"b\"\nc", filename: nil, state: .failed, startedAt: Timestamp(milliseconds: 1_000),
        completedAt: Timestamp(milliseconds: 2_500), durationMilliseconds: 1500, result: #"{"k":[1,2]}"#, errorType: "processing_error",
        errorMessage: "broke \"here\"", errorDetails: #"{"crashes":1}"#, mediaID: nil, costCents: 3, inputTokens: 4, outputTokens: 5)

    func line(_ format: ResultsFormat, _ row: ItemResultRow) -> [UInt8] {
        var out: [UInt8] = []
        format.append(row, to: &out)
        return out
    }

    @Test func aJSONLineIsOneValidObject() throws {
        let bytes = line(.jsonl, row)
        #expect(bytes.last == 0x0A && bytes.dropLast().allSatisfy { $0 != 0x0A })
        let object = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        #expect(object["custom_id"] as? String == "a,\"b\"\nc")
        #expect(object["seq"] as? Int == 7 && object["status"] as? String == "failed" && object["duration_ms"] as? Int == 1500)
        #expect((object["result"] as? [String: Any])?["k"] as? [Int] == [1, 2])
        let error = try #require(object["error"] as? [String: Any])
        #expect(error["type"] as? String == "processing_error" && error["message"] as? String == "broke \"here\"")
        #expect((error["details"] as? [String: Any])?["crashes"] as? Int == 1)
        #expect(object["started_at"] as? String == "1970-01-01T00:00:01Z")
        #expect((object["usage"] as? [String: Any])?["output_tokens"] as? Int == 5)
        #expect(object["media_id"] is NSNull)
        #expect(line(.jsonl, row) == bytes)
    }

    @Test func csvQuotesWhatNeedsIt() {
        let text = String(decoding: line(.csv, row), as: UTF8.self)
        #expect(text.hasPrefix("\"a,\"\"b\"\"\nc\",item-1,7,failed,\"{\"\"k\"\":[1,2]}\",processing_error,\"broke \"\"here\"\"\",,"))
        #expect(text.hasSuffix(",1500,3,4,5\r\n"))
        #expect(String(decoding: ResultsFormat.csv.header, as: UTF8.self).hasPrefix("custom_id,item_id,seq,status,result,"))
        #expect(ResultsFormat.jsonl.header.isEmpty)
    }
}
