import BatchCodecs

/// A decoded query string. Keeps every occurrence in order, so a repeated
/// parameter can be refused instead of silently picking one.
public struct QueryParameters: Sendable, Equatable {
    public private(set) var pairs: [(name: String, value: String)]

    public init(_ pairs: [(name: String, value: String)] = []) { self.pairs = pairs }

    /// Parses `a=1&b=x%20y&c`: `+` is a space, `%XX` is a byte; malformed escapes stay literal.
    public init(parsing queryString: String) {
        pairs = []
        for part in queryString.split(separator: "&", omittingEmptySubsequences: true) {
            if let equals = part.firstIndex(of: "=") {
                pairs.append((Self.decode(part[..<equals]), Self.decode(part[part.index(after: equals)...])))
            } else {
                pairs.append((Self.decode(part), ""))
            }
        }
    }

    /// The first value of `name`.
    public subscript(name: String) -> String? { pairs.first(where: { $0.name == name })?.value }

    public func values(_ name: String) -> [String] { pairs.filter { $0.name == name }.map(\.value) }

    public var names: [String] { pairs.map(\.name) }

    public var isEmpty: Bool { pairs.isEmpty }

    /// Refuses, with a 400 naming it, the first parameter not in `allowed`, the
    /// first whose value holds a NUL byte (no stored value can: PostgreSQL text
    /// cannot, and SQLite would silently match nothing) and, unless
    /// `repeatsAllowed`, the first one given more than once.
    public func requireOnly(_ allowed: Set<String>, repeatsAllowed: Bool = false) throws(APIError) {
        if let unknown = names.first(where: { !allowed.contains($0) }) {
            throw .invalidParameter(unknown, "unknown parameter; allowed: \(allowed.sorted().joined(separator: ", "))")
        }
        if let withNUL = pairs.first(where: { $0.value.utf8.contains(0) }) {
            throw .invalidParameter(withNUL.name, "contains a NUL byte")
        }
        if !repeatsAllowed, let repeated = names.first(where: { values($0).count > 1 }) {
            throw .invalidParameter(repeated, "given more than once")
        }
    }

    public static func == (lhs: QueryParameters, rhs: QueryParameters) -> Bool {
        lhs.pairs.count == rhs.pairs.count && zip(lhs.pairs, rhs.pairs).allSatisfy { $0 == $1 }
    }

    static func decode(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = Array(text.utf8)[...]
        while let byte = iterator.popFirst() {
            if byte == UInt8(ascii: "+") {
                bytes.append(0x20)
            } else if byte == UInt8(ascii: "%"), iterator.count >= 2,
                let high = Hex.digitValue(iterator[iterator.startIndex]),
                let low = Hex.digitValue(iterator[iterator.startIndex + 1])
            {
                bytes.append(high << 4 | low)
                iterator = iterator.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
