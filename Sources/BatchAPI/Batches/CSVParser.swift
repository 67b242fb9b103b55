import BatchCodecs

/// RFC 4180 CSV: quoted fields with `""` escapes, CRLF or LF line ends; blank
/// lines are skipped; a CR outside quotes is dropped. Returns rows of fields; a
/// quote left open is an error naming its line.
///
/// Linear and byte-wise: fields are gathered as UTF-8 bytes and made strings
/// once each. A row keeps at most `maxFields` fields; the rest are read past and
/// dropped, so a row of 200,000 columns costs its bytes, not 200,000 strings
/// (the caller sees `maxFields` fields and refuses the row or the header). A
/// first row (the header) wider than that ends the parse at once: `[header]`.
public enum CSVParser {
    public static func parse(_ text: String, maxFields: Int = .max) throws(APIError) -> [[String]] {
        try parse(Array(text.utf8), maxFields: maxFields)
    }

    /// `bytes` must be UTF-8 (fields are cut only at ASCII delimiters).
    public static func parse(_ bytes: [UInt8], maxFields: Int = .max) throws(APIError) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field: [UInt8] = []
        var fieldsInRow = 0
        var quoted = false
        var atFieldStart = true
        var lineHasContent = false
        var line = 1
        func endField() {
            if fieldsInRow < maxFields { row.append(String(decoding: field, as: UTF8.self)) }
            // (field is empty past maxFields: nothing was gathered.)
            fieldsInRow += 1
            field.removeAll(keepingCapacity: true)
        }
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            // Fields past maxFields are read past, not gathered.
            let keeping = fieldsInRow < maxFields
            if quoted {
                if byte == UInt8(ascii: "\"") {
                    if index < bytes.count, bytes[index] == UInt8(ascii: "\"") {
                        if keeping { field.append(byte) }
                        index += 1
                    } else {
                        quoted = false
                    }
                } else {
                    if byte == UInt8(ascii: "\n") { line += 1 }
                    if keeping { field.append(byte) }
                }
                continue
            }
            if byte != UInt8(ascii: "\n"), byte != UInt8(ascii: "\r") { lineHasContent = true }
            switch byte {
            case UInt8(ascii: "\"") where atFieldStart:
                quoted = true
                atFieldStart = false
            case UInt8(ascii: ","):
                endField()
                atFieldStart = true
                // A header wider than maxFields is refused by every caller: stop reading there.
                if rows.isEmpty, fieldsInRow >= maxFields { return [row] }
            case UInt8(ascii: "\r"):
                continue
            case UInt8(ascii: "\n"):
                if lineHasContent {
                    endField()
                    rows.append(row)
                }
                lineHasContent = false
                row = []
                fieldsInRow = 0
                field.removeAll(keepingCapacity: true)
                atFieldStart = true
                line += 1
            default:
                if keeping { field.append(byte) }
                atFieldStart = false
            }
        }
        if quoted {
            throw APIError(.validationError, "CSV body has an unclosed quote starting by line \(line)", details: ["line": .integer(line)])
        }
        if lineHasContent {
            endField()
            rows.append(row)
        }
        return rows
    }
}
