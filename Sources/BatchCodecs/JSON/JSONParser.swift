/// Why a body is not JSON, with the byte offset where parsing stopped.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public let offset: Int
    public let reason: String
    /// The key an object gave twice, when that is the reason.
    public var duplicateKey: String?
    public var description: String { "\(reason) at byte \(offset)" }

    public init(offset: Int, reason: String, duplicateKey: String? = nil) {
        self.offset = offset
        self.reason = reason
        self.duplicateKey = duplicateKey
    }
}

/// A strict RFC 8259 parser over UTF-8 bytes.
///
/// Strict because request bodies come from clients: trailing garbage, control
/// characters in strings, lone surrogates, a key given twice in one object and
/// nesting deeper than `maxDepth` are errors, never silently accepted. Linear:
/// every byte is looked at a bounded number of times, and object keys are
/// indexed (`JSONObject`), so no input makes it quadratic.
public struct JSONParser {
    public static let maxDepth = 64

    /// The input, borrowed for the parse: every read is checked against its count
    /// by the code below, and borrowing saves a retain per string made from it.
    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    /// The top-level key whose array is checked but not kept, and where that array was found.
    private var deferredKey: String?
    private var deferred: (start: Int, count: Int)?

    private init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    public static func parse(_ bytes: [UInt8]) throws(JSONParseError) -> JSONValue {
        try parse(bytes, deferringArrayAt: nil).value
    }

    /// Parses `bytes`; when the document is an object whose `key` holds an array,
    /// that array is checked element by element but not kept: the object holds an
    /// empty array under `key` and the array comes back as a `JSONLazyArray`, to be
    /// read one element at a time. Everything else is exactly `parse(_:)`.
    public static func parse(_ bytes: [UInt8], deferringArrayAt key: String?) throws(JSONParseError) -> (value: JSONValue, deferred: JSONLazyArray?) {
        let result = bytes.withUnsafeBufferPointer { buffer in
            Result { () throws(JSONParseError) -> (JSONValue, (start: Int, count: Int)?) in
                var parser = JSONParser(buffer)
                parser.deferredKey = key
                parser.skipWhitespace()
                let value = try parser.parseValue(depth: 0)
                parser.skipWhitespace()
                guard parser.index == buffer.count else { throw parser.error("unexpected data after the document") }
                return (value, parser.deferred)
            }
        }
        let (value, deferred) = try result.get()
        return (value, deferred.map { JSONLazyArray(bytes: bytes, start: $0.start, depth: 1, count: $0.count) })
    }

    /// Parses the elements of `array` one at a time, handing each to `body` until it
    /// returns false. They were checked when the array was first parsed, so none fails
    /// now; were one to, the walk would simply end there.
    static func elements(of array: JSONLazyArray, _ body: (Int, JSONValue) -> Bool) {
        array.bytes.withUnsafeBufferPointer { buffer in
            var parser = JSONParser(buffer)
            parser.index = array.start + 1
            var position = 0
            parser.skipWhitespace()
            guard parser.index < buffer.count, buffer[parser.index] != UInt8(ascii: "]") else { return }
            while true {
                parser.skipWhitespace()
                guard let value = try? parser.parseValue(depth: array.depth + 1), body(position, value) else { return }
                position += 1
                parser.skipWhitespace()
                guard parser.index < buffer.count, buffer[parser.index] == UInt8(ascii: ",") else { return }
                parser.index += 1
            }
        }
    }

    public static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        try parse(Array(text.utf8))
    }

    private func error(_ reason: String) -> JSONParseError { JSONParseError(offset: index, reason: reason) }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private mutating func parseValue(depth: Int) throws(JSONParseError) -> JSONValue {
        guard depth <= Self.maxDepth else { throw error("nesting deeper than \(Self.maxDepth)") }
        guard index < bytes.count else { throw error("unexpected end of input") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth)
        case UInt8(ascii: "["): return try parseArray(depth: depth)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw error("unexpected character")
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let count = literal.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw error("unexpected end of input") }
        let expected = UnsafeBufferPointer(start: literal.utf8Start, count: count)
        for offset in 0..<count where bytes[index + offset] != expected[offset] {
            throw error("invalid literal")
        }
        index += count
    }

    private mutating func parseObject(depth: Int) throws(JSONParseError) -> JSONValue {
        index += 1
        var pairs: [(key: String, value: JSONValue)] = []
        // Where each key starts, to point at a duplicate found once the object is complete.
        var keyOffsets: [Int] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return .object(JSONObject())
        }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("expected a string key") }
            keyOffsets.append(index)
            let key = try parseString()
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("expected ':'") }
            index += 1
            skipWhitespace()
            if depth == 0, key == deferredKey, index < bytes.count, bytes[index] == UInt8(ascii: "[") {
                let start = index
                let count = try skipArray(depth: depth + 1)
                // A repeated key is caught below, by the placeholder; the first array is the one kept.
                if deferred == nil { deferred = (start, count) }
                pairs.append((key: key, value: .array([])))
            } else {
                pairs.append((key: key, value: try parseValue(depth: depth + 1)))
            }
            if try endsAfterElement(closing: UInt8(ascii: "}")) { break }
        }
        do {
            return .object(try JSONObject(parsed: pairs))
        } catch {
            let key = pairs[error.position].key
            throw JSONParseError(offset: keyOffsets[error.position], reason: "duplicate key '\(String(key.prefix(100)))'", duplicateKey: key)
        }
    }

    /// After an element of an object or array: consumes `,` (false: another
    /// element follows) or `closing` (true: the container ends); anything else is an error.
    private mutating func endsAfterElement(closing: UInt8) throws(JSONParseError) -> Bool {
        skipWhitespace()
        guard index < bytes.count else { throw error("unexpected end of input") }
        let byte = bytes[index]
        guard byte == UInt8(ascii: ",") || byte == closing else {
            throw error("expected ',' or '\(Character(Unicode.Scalar(closing)))'")
        }
        index += 1
        return byte == closing
    }

    /// Checks the array at `index` as `parseArray` would, keeping none of it; its element count.
    private mutating func skipArray(depth: Int) throws(JSONParseError) -> Int {
        guard depth <= Self.maxDepth else { throw error("nesting deeper than \(Self.maxDepth)") }
        index += 1
        var count = 0
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return 0
        }
        while true {
            skipWhitespace()
            _ = try parseValue(depth: depth + 1)
            count += 1
            if try endsAfterElement(closing: UInt8(ascii: "]")) { return count }
        }
    }

    private mutating func parseArray(depth: Int) throws(JSONParseError) -> JSONValue {
        index += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return .array(items)
        }
        while true {
            skipWhitespace()
            items.append(try parseValue(depth: depth + 1))
            if try endsAfterElement(closing: UInt8(ascii: "]")) { return .array(items) }
        }
    }

    private mutating func parseNumber() throws(JSONParseError) -> JSONValue {
        let start = index
        var isInteger = true
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count, isDigit(bytes[index]) else { throw error("invalid number") }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else {
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            guard index < bytes.count, isDigit(bytes[index]) else { throw error("invalid number") }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            isInteger = false
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count, isDigit(bytes[index]) else { throw error("invalid number") }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        // Up to 18 digits always fit in an Int64: read them without making a string.
        let digitsStart = bytes[start] == UInt8(ascii: "-") ? start + 1 : start
        if isInteger, index - digitsStart <= 18 {
            var value: Int64 = 0
            for at in digitsStart..<index { value = value * 10 + Int64(bytes[at] - 0x30) }
            return .int(digitsStart == start ? value : -value)
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        if isInteger, let value = Int64(text) { return .int(value) }
        guard let value = Double(text), value.isFinite else { throw JSONParseError(offset: start, reason: "number out of range") }
        return .double(value)
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    private mutating func parseString() throws(JSONParseError) -> String {
        index += 1
        let start = index
        var ascii = true
        // Most strings have no escapes: made straight from the input, no copy, and
        // ASCII ones (most keys) need no UTF-8 validation either.
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let end = index
                index += 1
                if ascii { return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self) }
                guard let string = String(validating: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self) else {
                    throw error("string is not valid UTF-8")
                }
                return string
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw error("control character in string") }
            if byte >= 0x80 { ascii = false }
            index += 1
        }
        var scalars = Array(bytes[start..<index])
        while true {
            guard index < bytes.count else { throw error("unterminated string") }
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                guard let string = String(validating: scalars, as: UTF8.self) else {
                    throw error("string is not valid UTF-8")
                }
                return string
            case UInt8(ascii: "\\"):
                index += 1
                guard index < bytes.count else { throw error("unterminated string") }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""): scalars.append(0x22)
                case UInt8(ascii: "\\"): scalars.append(0x5C)
                case UInt8(ascii: "/"): scalars.append(0x2F)
                case UInt8(ascii: "b"): scalars.append(0x08)
                case UInt8(ascii: "f"): scalars.append(0x0C)
                case UInt8(ascii: "n"): scalars.append(0x0A)
                case UInt8(ascii: "r"): scalars.append(0x0D)
                case UInt8(ascii: "t"): scalars.append(0x09)
                case UInt8(ascii: "u"):
                    let scalar = try parseUnicodeEscape()
                    scalars.append(contentsOf: Array(String(Character(scalar)).utf8))
                default: throw error("invalid escape")
                }
            case 0..<0x20:
                throw error("control character in string")
            default:
                scalars.append(byte)
                index += 1
            }
        }
    }

    private mutating func parseHex4() throws(JSONParseError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw error("invalid \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case 0x30...0x39: digit = UInt32(byte - 0x30)
            case 0x41...0x46: digit = UInt32(byte - 0x41 + 10)
            case 0x61...0x66: digit = UInt32(byte - 0x61 + 10)
            default: throw error("invalid \\u escape")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    private mutating func parseUnicodeEscape() throws(JSONParseError) -> Unicode.Scalar {
        let high = try parseHex4()
        if (0xD800...0xDBFF).contains(high) {
            guard index + 2 <= bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                throw error("lone surrogate")
            }
            index += 2
            let low = try parseHex4()
            guard (0xDC00...0xDFFF).contains(low) else { throw error("lone surrogate") }
            let combined = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
            guard let scalar = Unicode.Scalar(combined) else { throw error("invalid code point") }
            return scalar
        }
        guard let scalar = Unicode.Scalar(high) else { throw error("lone surrogate") }
        return scalar
    }
}
