/// Standard base64 (RFC 4648 §4) decoding that refuses anything malformed
/// instead of skipping it: a client's `content_base64` either decodes exactly or is a row error.
public enum Base64 {
    public static func decode(_ text: String) -> [UInt8]? {
        var values: [UInt8] = []
        values.reserveCapacity(text.utf8.count)
        var padding = 0
        for byte in text.utf8 {
            if byte == UInt8(ascii: "=") {
                padding += 1
                continue
            }
            guard padding == 0 else { return nil }
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): values.append(byte - 65)
            case UInt8(ascii: "a")...UInt8(ascii: "z"): values.append(byte - 71)
            case UInt8(ascii: "0")...UInt8(ascii: "9"): values.append(byte + 4)
            case UInt8(ascii: "+"): values.append(62)
            case UInt8(ascii: "/"): values.append(63)
            default: return nil
            }
        }
        guard padding <= 2, (values.count + padding) % 4 == 0, values.count % 4 != 1 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(values.count * 3 / 4)
        var index = 0
        while index + 4 <= values.count {
            let v = values[index..<index + 4].map(UInt32.init)
            let n = v[0] << 18 | v[1] << 12 | v[2] << 6 | v[3]
            out += [UInt8(n >> 16), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)]
            index += 4
        }
        let rest = values.count - index
        if rest == 2 {
            out.append(values[index] << 2 | values[index + 1] >> 4)
        } else if rest == 3 {
            out.append(values[index] << 2 | values[index + 1] >> 4)
            out.append((values[index + 1] & 0xF) << 4 | values[index + 2] >> 2)
        }
        return out
    }
}
