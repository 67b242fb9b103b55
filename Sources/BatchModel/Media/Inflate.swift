/// DEFLATE decompression (RFC 1951), for reading the XML inside DOCX files.
/// Bounded: output beyond `maxOutput` bytes, and any malformed stream, is an error.
public enum Inflate {
    public struct Failure: Error, Equatable, Sendable {
        public let reason: String
    }

    public static func decompress(_ input: ArraySlice<UInt8>, maxOutput: Int) throws(Failure) -> [UInt8] {
        var state = State(input: Array(input), maxOutput: maxOutput)
        var last = false
        while !last {
            last = try state.bits(1) == 1
            switch try state.bits(2) {
            case 0: try state.stored()
            case 1: try state.codes(lengths: fixedLengths.lengths, distances: fixedLengths.distances)
            case 2: try state.dynamic()
            default: throw Failure(reason: "invalid block type")
            }
        }
        return state.output
    }

    static let lengthBase: [Int] = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
    static let lengthExtra: [Int] = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    static let distanceBase: [Int] = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]
    static let distanceExtra: [Int] = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]

    static let fixedLengths: (lengths: Huffman, distances: Huffman) = {
        var lengths = [Int](repeating: 8, count: 288)
        for i in 144..<256 { lengths[i] = 9 }
        for i in 256..<280 { lengths[i] = 7 }
        return (Huffman(lengths: lengths)!, Huffman(lengths: [Int](repeating: 5, count: 30))!)
    }()

    /// A canonical Huffman code: symbol counts per length and symbols in code order.
    struct Huffman {
        var counts = [Int](repeating: 0, count: 16)
        var symbols: [Int]

        init?(lengths: [Int]) {
            symbols = [Int](repeating: 0, count: lengths.count)
            for length in lengths { counts[length] += 1 }
            var left = 1
            for length in 1..<16 {
                left = left * 2 - counts[length]
                if left < 0 { return nil }
            }
            var offsets = [Int](repeating: 0, count: 16)
            for length in 1..<15 { offsets[length + 1] = offsets[length] + counts[length] }
            for (symbol, length) in lengths.enumerated() where length != 0 {
                symbols[offsets[length]] = symbol
                offsets[length] += 1
            }
        }
    }

    struct State {
        let input: [UInt8]
        let maxOutput: Int
        var output: [UInt8] = []
        var position = 0
        var bitBuffer = 0
        var bitCount = 0

        init(input: [UInt8], maxOutput: Int) {
            self.input = input
            self.maxOutput = maxOutput
        }

        mutating func bits(_ need: Int) throws(Failure) -> Int {
            var value = bitBuffer
            while bitCount < need {
                guard position < input.count else { throw Failure(reason: "unexpected end of data") }
                value |= Int(input[position]) << bitCount
                position += 1
                bitCount += 8
            }
            bitBuffer = value >> need
            bitCount -= need
            return value & ((1 << need) - 1)
        }

        mutating func stored() throws(Failure) {
            bitBuffer = 0
            bitCount = 0
            guard position + 4 <= input.count else { throw Failure(reason: "unexpected end of data") }
            let length = Int(input[position]) | Int(input[position + 1]) << 8
            let complement = Int(input[position + 2]) | Int(input[position + 3]) << 8
            guard length == ~complement & 0xFFFF else { throw Failure(reason: "stored block length mismatch") }
            position += 4
            guard position + length <= input.count else { throw Failure(reason: "unexpected end of data") }
            guard output.count + length <= maxOutput else { throw Failure(reason: "output too large") }
            output.append(contentsOf: input[position..<(position + length)])
            position += length
        }

        mutating func decode(_ code: Huffman) throws(Failure) -> Int {
            var value = 0
            var first = 0
            var index = 0
            for length in 1..<16 {
                value |= try bits(1)
                let count = code.counts[length]
                if value - count < first { return code.symbols[index + (value - first)] }
                index += count
                first += count
                first <<= 1
                value <<= 1
            }
            throw Failure(reason: "invalid Huffman code")
        }

        mutating func codes(lengths: Huffman, distances: Huffman) throws(Failure) {
            while true {
                let symbol = try decode(lengths)
                if symbol < 256 {
                    guard output.count < maxOutput else { throw Failure(reason: "output too large") }
                    output.append(UInt8(symbol))
                } else if symbol == 256 {
                    return
                } else {
                    let index = symbol - 257
                    guard index < 29 else { throw Failure(reason: "invalid length symbol") }
                    let length = Inflate.lengthBase[index] + (try bits(Inflate.lengthExtra[index]))
                    let distanceSymbol = try decode(distances)
                    guard distanceSymbol < 30 else { throw Failure(reason: "invalid distance symbol") }
                    let distance = Inflate.distanceBase[distanceSymbol] + (try bits(Inflate.distanceExtra[distanceSymbol]))
                    guard distance <= output.count else { throw Failure(reason: "distance too far back") }
                    guard output.count + length <= maxOutput else { throw Failure(reason: "output too large") }
                    for _ in 0..<length { output.append(output[output.count - distance]) }
                }
            }
        }

        mutating func dynamic() throws(Failure) {
            let literalCount = try bits(5) + 257
            let distanceCount = try bits(5) + 1
            let codeCount = try bits(4) + 4
            guard literalCount <= 286, distanceCount <= 30 else { throw Failure(reason: "too many codes") }
            let order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
            var codeLengths = [Int](repeating: 0, count: 19)
            for i in 0..<codeCount { codeLengths[order[i]] = try bits(3) }
            guard let lengthCode = Huffman(lengths: codeLengths) else { throw Failure(reason: "invalid code lengths") }
            var lengths: [Int] = []
            while lengths.count < literalCount + distanceCount {
                let symbol = try decode(lengthCode)
                switch symbol {
                case 0..<16: lengths.append(symbol)
                case 16:
                    guard let previous = lengths.last else { throw Failure(reason: "repeat with no previous length") }
                    lengths += [Int](repeating: previous, count: 3 + (try bits(2)))
                case 17: lengths += [Int](repeating: 0, count: 3 + (try bits(3)))
                default: lengths += [Int](repeating: 0, count: 11 + (try bits(7)))
                }
            }
            guard lengths.count == literalCount + distanceCount, lengths[256] != 0 else { throw Failure(reason: "invalid lengths") }
            guard let literal = Huffman(lengths: Array(lengths[0..<literalCount])),
                let distance = Huffman(lengths: Array(lengths[literalCount...]))
            else { throw Failure(reason: "invalid Huffman table") }
            try codes(lengths: literal, distances: distance)
        }
    }
}
