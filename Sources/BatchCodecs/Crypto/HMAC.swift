/// HMAC-SHA256 (RFC 2104), for signing webhook deliveries.
public enum HMACSHA256 {
    public static func authenticationCode(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var block = key.count > 64 ? SHA256.hash(key) : key
        block += [UInt8](repeating: 0, count: 64 - block.count)
        var inner = SHA256()
        inner.update(block.map { $0 ^ 0x36 })
        inner.update(message)
        var outer = SHA256()
        outer.update(block.map { $0 ^ 0x5C })
        outer.update(inner.finalize())
        return outer.finalize()
    }

    public static func hex(key: String, message: [UInt8]) -> String {
        Hex.encode(authenticationCode(key: Array(key.utf8), message: message))
    }
}
