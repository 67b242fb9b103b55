import CZlib

/// DEFLATE decompression (RFC 1951) through the system zlib, for the XML inside
/// DOCX files. Streaming: the output is handed over in pieces and never held
/// whole, and it is bounded both in total and as a ratio to the input, so a
/// 261 KB "zip bomb" costs a few milliseconds and no memory before it is refused.
public enum Inflate {
    public struct Failure: Error, Equatable, Sendable {
        public enum Kind: Sendable, Equatable {
            /// The stream is malformed or cut short.
            case damaged
            /// The output passed `Limits.maxOutput` or `Limits.maxRatio`.
            case tooLarge
        }

        public let kind: Kind
        public let reason: String
    }

    /// How far one stream may inflate.
    public struct Limits: Sendable, Equatable {
        /// Total bytes of output.
        public var maxOutput: Int
        /// Output bytes per input byte, enforced once the output passes `ratioFloor`
        /// (small, very regular documents legitimately compress well).
        public var maxRatio: Int
        public static let ratioFloor = 1 << 20

        public init(maxOutput: Int, maxRatio: Int = .max) {
            self.maxOutput = maxOutput
            self.maxRatio = maxRatio
        }
    }

    static let pieceBytes = 64 << 10

    /// Inflates a raw DEFLATE stream, handing its output to `sink` in pieces of at
    /// most 64 KiB. Returns the number of bytes inflated.
    @discardableResult
    public static func stream(_ input: ArraySlice<UInt8>, limits: Limits, into sink: (UnsafeBufferPointer<UInt8>) -> Void) throws(Failure) -> Int {
        var zstream = z_stream()
        guard inflateInit2_(&zstream, -MAX_WBITS, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw Failure(kind: .damaged, reason: "zlib could not start")
        }
        defer { inflateEnd(&zstream) }
        var output = [UInt8](repeating: 0, count: pieceBytes)
        var total = 0
        let outcome: Failure? = input.withUnsafeBufferPointer { inBuffer -> Failure? in
            var rest = inBuffer
            while true {
                if zstream.avail_in == 0, !rest.isEmpty {
                    // zlib counts input in 32 bits: hand it over in slices.
                    let piece = min(rest.count, 1 << 30)
                    zstream.next_in = UnsafeMutablePointer(mutating: rest.baseAddress)
                    zstream.avail_in = uInt(piece)
                    rest = UnsafeBufferPointer(rebasing: rest[piece...])
                }
                let (status, produced) = output.withUnsafeMutableBufferPointer { out -> (Int32, Int) in
                    zstream.next_out = out.baseAddress
                    zstream.avail_out = uInt(out.count)
                    let status = inflate(&zstream, Z_NO_FLUSH)
                    let produced = out.count - Int(zstream.avail_out)
                    return (status, produced)
                }
                total += produced
                if total > limits.maxOutput {
                    return Failure(kind: .tooLarge, reason: "inflates to more than \(limits.maxOutput) bytes")
                }
                if total > Limits.ratioFloor, total / max(1, inBuffer.count) > limits.maxRatio {
                    return Failure(kind: .tooLarge, reason: "inflates more than \(limits.maxRatio) times its compressed size")
                }
                if produced > 0 { output.withUnsafeBufferPointer { sink(UnsafeBufferPointer(rebasing: $0[..<produced])) } }
                switch status {
                case Z_STREAM_END: return nil
                case Z_OK: continue
                case Z_BUF_ERROR where zstream.avail_in == 0 && rest.isEmpty: return Failure(kind: .damaged, reason: "unexpected end of data")
                case Z_BUF_ERROR: continue
                default:
                    let message = zstream.msg.map { String(cString: $0) } ?? "status \(status)"
                    return Failure(kind: .damaged, reason: message)
                }
            }
        }
        if let outcome { throw outcome }
        return total
    }

    /// The whole output of a raw DEFLATE stream of at most `maxOutput` bytes.
    public static func decompress(_ input: ArraySlice<UInt8>, maxOutput: Int) throws(Failure) -> [UInt8] {
        var output: [UInt8] = []
        try stream(input, limits: Limits(maxOutput: maxOutput)) { output.append(contentsOf: $0) }
        return output
    }
}
