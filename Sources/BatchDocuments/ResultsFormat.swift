import BatchCodecs
import BatchModel
public import BatchStore

/// The line formats of a results download (`results.jsonl`, `results.csv`): one
/// line per item, written straight into bytes (a download renders every item of
/// a batch, so no document tree is built). The same row always gives the same
/// bytes, which `Range` resumption relies on.
public enum ResultsFormat: String, Sendable, CaseIterable {
    case jsonl
    case csv

    public var contentType: String {
        switch self {
        case .jsonl: "application/x-ndjson; charset=utf-8"
        case .csv: "text/csv; charset=utf-8"
        }
    }

    /// The CSV header line; nothing for JSONL.
    public var header: [UInt8] {
        switch self {
        case .jsonl: []
        case .csv: Array((Self.csvColumns.joined(separator: ",") + "\r\n").utf8)
        }
    }

    static let csvColumns = [
        "custom_id", "item_id", "seq", "status", "result", "error_type", "error_message", "media_id", "started_at", "completed_at", "duration_ms",
        "cost_cents", "input_tokens", "output_tokens",
    ]

    /// Appends the item's line, its line end included.
    public func append(_ row: ItemResultRow, to out: inout [UInt8]) {
        switch self {
        case .jsonl: Self.appendJSONLine(row, to: &out)
        case .csv: Self.appendCSVLine(row, to: &out)
        }
    }

    /// `{"custom_id":…,"item_id":…,"seq":…,"status":…,"result":…,"error":…,"media_id":…,
    /// "started_at":…,"completed_at":…,"duration_ms":…,"usage":{…}}`. The stored result
    /// and error details are JSON batchd wrote itself (compact, one line) and go in as they are.
    static func appendJSONLine(_ row: ItemResultRow, to out: inout [UInt8]) {
        func key(_ name: String, first: Bool = false) {
            out.append(contentsOf: (first ? "{\"" : ",\"").utf8)
            out.append(contentsOf: name.utf8)
            out.append(contentsOf: "\":".utf8)
        }
        func string(_ value: String?) {
            if let value { JSONWriter.writeString(value, into: &out) } else { out.append(contentsOf: "null".utf8) }
        }
        func raw(_ json: String?) { out.append(contentsOf: (json ?? "null").utf8) }
        key("custom_id", first: true)
        string(row.customID)
        key("item_id")
        string(row.id)
        key("seq")
        out.append(contentsOf: String(row.seq).utf8)
        key("status")
        string(row.state.rawValue)
        key("result")
        raw(row.result)
        key("error")
        if let type = row.errorType {
            out.append(contentsOf: "{\"type\":".utf8)
            string(type)
            out.append(contentsOf: ",\"message\":".utf8)
            string(row.errorMessage ?? "")
            out.append(contentsOf: ",\"details\":".utf8)
            raw(row.errorDetails)
            out.append(UInt8(ascii: "}"))
        } else {
            out.append(contentsOf: "null".utf8)
        }
        key("media_id")
        string(row.mediaID)
        key("started_at")
        string(row.startedAt?.iso8601)
        key("completed_at")
        string(row.completedAt?.iso8601)
        key("duration_ms")
        raw(row.durationMilliseconds.map { String($0) })
        key("usage")
        out.append(contentsOf: "{\"cost_cents\":\(row.costCents),\"input_tokens\":\(row.inputTokens),\"output_tokens\":\(row.outputTokens)}}\n".utf8)
    }

    /// RFC 4180: fields with a comma, quote or line break are quoted, quotes doubled;
    /// the result is its JSON text; lines end in CRLF.
    static func appendCSVLine(_ row: ItemResultRow, to out: inout [UInt8]) {
        let fields: [String?] = [
            row.customID, row.id, String(row.seq), row.state.rawValue, row.result, row.errorType, row.errorMessage, row.mediaID,
            row.startedAt?.iso8601, row.completedAt?.iso8601, row.durationMilliseconds.map { String($0) }, String(row.costCents),
            String(row.inputTokens), String(row.outputTokens),
        ]
        for (index, field) in fields.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            guard let field else { continue }
            let needsQuotes = field.utf8.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D }
            guard needsQuotes else {
                out.append(contentsOf: field.utf8)
                continue
            }
            out.append(UInt8(ascii: "\""))
            for byte in field.utf8 {
                if byte == UInt8(ascii: "\"") { out.append(byte) }
                out.append(byte)
            }
            out.append(UInt8(ascii: "\""))
        }
        out.append(contentsOf: [0x0D, 0x0A])
    }
}
