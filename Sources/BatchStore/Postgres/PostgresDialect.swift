/// What differs between the store's SQL, written once for both backends, and
/// PostgreSQL's.
enum PostgresDialect {
    /// `?` → `$1`, `$2`, … in order and `?N` → `$N`, outside string literals and
    /// quoted identifiers. Linear in the statement's length.
    static func placeholders(_ sql: String) -> String {
        var out: [UInt8] = []
        let bytes = Array(sql.utf8)
        out.reserveCapacity(bytes.count + 8)
        var next = 1
        var quote: UInt8?
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if let open = quote {
                out.append(byte)
                if byte == open { quote = nil }
            } else if byte == UInt8(ascii: "'") || byte == UInt8(ascii: "\"") {
                quote = byte
                out.append(byte)
            } else if byte == UInt8(ascii: "?") {
                var end = index + 1
                while end < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[end]) { end += 1 }
                out.append(UInt8(ascii: "$"))
                if end > index + 1 {
                    out += bytes[(index + 1)..<end]
                } else {
                    out += Array(String(next).utf8)
                    next += 1
                }
                index = end
                continue
            } else {
                out.append(byte)
            }
            index += 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}
