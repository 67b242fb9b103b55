/// One range of a `Range: bytes=…` request header (RFC 9110 §14): `N-`, `N-M`
/// or the suffix `-N`. Anything else (another unit, several ranges, junk) is no
/// range at all, and the whole representation is sent, as the RFC allows. The
/// parser is total and linear in the header's length.
public enum ByteRange: Sendable, Equatable {
    case from(Int)
    case fromTo(Int, Int)
    case suffix(Int)

    public init?(header: String) {
        var bytes = Substring(header).utf8[...]
        while bytes.first == 0x20 || bytes.first == 0x09 { bytes = bytes.dropFirst() }
        while bytes.last == 0x20 || bytes.last == 0x09 { bytes = bytes.dropLast() }
        let unit = Array("bytes=".utf8)
        guard bytes.count > unit.count, zip(bytes.prefix(unit.count), unit).allSatisfy({ $0 | ($0 >= 0x41 && $0 <= 0x5A ? 0x20 : 0) == $1 })
        else { return nil }
        let spec = bytes.dropFirst(unit.count)
        guard let dash = spec.firstIndex(of: UInt8(ascii: "-")) else { return nil }
        let first = Self.number(spec[..<dash])
        let last = Self.number(spec[spec.index(after: dash)...])
        switch (first, last) {
        case (.some(let first), .some(let last)) where last >= first: self = .fromTo(first, last)
        case (.some(let first), .none) where spec.index(after: dash) == spec.endIndex: self = .from(first)
        case (.none, .some(let count)) where spec.startIndex == dash && count > 0: self = .suffix(count)
        default: return nil
        }
    }

    /// Decimal digits only, at most 18 (no overflow); nil otherwise.
    static func number(_ digits: Substring.UTF8View.SubSequence) -> Int? {
        guard !digits.isEmpty, digits.count <= 18 else { return nil }
        var value = 0
        for digit in digits {
            guard digit >= 0x30 && digit <= 0x39 else { return nil }
            value = value * 10 + Int(digit - 0x30)
        }
        return value
    }

    /// The byte offsets the range covers in a representation of `length`
    /// bytes, or nil when none of them exists (a 416).
    public func resolve(length: Int) -> ClosedRange<Int>? {
        switch self {
        case .from(let first): return first < length ? first...(length - 1) : nil
        case .fromTo(let first, let last): return first < length ? first...min(last, length - 1) : nil
        case .suffix(let count): return length > 0 ? max(0, length - count)...(length - 1) : nil
        }
    }
}
