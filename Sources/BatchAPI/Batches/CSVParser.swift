/// RFC 4180 CSV: quoted fields with `""` escapes, CRLF or LF line ends; blank
/// lines are skipped. Returns rows of fields; a quote left open is an error naming its line.
public enum CSVParser {
    public static func parse(_ text: String) throws(APIError) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var quoted = false
        var atFieldStart = true
        var lineHasContent = false
        var line = 1
        var iterator = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        func next() -> Unicode.Scalar? {
            if let scalar = pending { pending = nil; return scalar }
            return iterator.next()
        }
        while let scalar = next() {
            if quoted {
                if scalar == "\"" {
                    let following = next()
                    if following == "\"" { field.unicodeScalars.append("\"") } else { quoted = false; pending = following }
                } else {
                    if scalar == "\n" { line += 1 }
                    field.unicodeScalars.append(scalar)
                }
                continue
            }
            if scalar != "\n", scalar != "\r" { lineHasContent = true }
            switch scalar {
            case "\"" where atFieldStart:
                quoted = true
                atFieldStart = false
            case ",":
                row.append(field)
                field = ""
                atFieldStart = true
            case "\r":
                continue
            case "\n":
                if lineHasContent {
                    row.append(field)
                    rows.append(row)
                }
                lineHasContent = false
                row = []
                field = ""
                atFieldStart = true
                line += 1
            default:
                field.unicodeScalars.append(scalar)
                atFieldStart = false
            }
        }
        if quoted {
            throw APIError(.validationError, "CSV body has an unclosed quote starting by line \(line)", details: ["line": .integer(line)])
        }
        if lineHasContent {
            row.append(field)
            rows.append(row)
        }
        return rows
    }
}
