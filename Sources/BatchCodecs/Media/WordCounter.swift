/// Counts words (runs of non-whitespace) in UTF-8 text fed in pieces, keeping
/// nothing but a few bytes of state: text statistics stay O(1) in memory however
/// large the file. Whitespace is Unicode's White_Space property, as
/// `Character.isWhitespace` has it; malformed UTF-8 counts as non-whitespace.
public struct WordCounter: Sendable {
    public private(set) var words = 0
    private var inWord = false
    /// The bytes of a multi-byte sequence read so far, and how many are still due.
    private var sequence: UInt32 = 0
    private var due = 0

    public init() {}

    public mutating func feed<C: Sequence>(_ bytes: C) where C.Element == UInt8 {
        for byte in bytes { feed(byte) }
    }

    public mutating func feed(_ byte: UInt8) {
        if due > 0 {
            if byte & 0xC0 == 0x80 {
                sequence = sequence << 8 | UInt32(byte)
                due -= 1
                if due == 0 { character(isWhitespace: Self.whitespaceSequences.contains(sequence)) }
                return
            }
            // The sequence broke off: it was one malformed character.
            due = 0
            character(isWhitespace: false)
        }
        switch byte {
        case 0x09...0x0D, 0x20: character(isWhitespace: true)
        case 0..<0x80: character(isWhitespace: false)
        case 0xC0...0xDF:
            sequence = UInt32(byte)
            due = 1
        case 0xE0...0xEF:
            sequence = UInt32(byte)
            due = 2
        case 0xF0...0xF7:
            sequence = UInt32(byte)
            due = 3
        default: character(isWhitespace: false)
        }
    }

    private mutating func character(isWhitespace: Bool) {
        if isWhitespace {
            inWord = false
        } else if !inWord {
            inWord = true
            words += 1
        }
    }

    /// The UTF-8 encodings of the non-ASCII White_Space scalars: U+0085, U+00A0,
    /// U+1680, U+2000–U+200A, U+2028, U+2029, U+202F, U+205F, U+3000.
    static let whitespaceSequences: Set<UInt32> = {
        let scalars: [UInt32] = [0x85, 0xA0, 0x1680] + Array(0x2000...0x200A) + [0x2028, 0x2029, 0x202F, 0x205F, 0x3000]
        return Set(
            scalars.map { scalar in
                Array(String(Character(Unicode.Scalar(scalar)!)).utf8).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            })
    }()
}
