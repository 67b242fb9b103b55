import CZlib

/// CRC-32 (IEEE 802.3, as PNG and ZIP use it), computed by the system zlib.
public enum CRC32 {
    public static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        bytes.withUnsafeBufferPointer { buffer in
            var crc: UInt = 0
            var rest = UnsafeBufferPointer(rebasing: buffer[...])
            // zlib takes a 32-bit length: feed it in pieces.
            while !rest.isEmpty {
                let piece = min(rest.count, 1 << 30)
                crc = CZlib.crc32(crc, rest.baseAddress, uInt(piece))
                rest = UnsafeBufferPointer(rebasing: rest[piece...])
            }
            return UInt32(truncatingIfNeeded: crc)
        }
    }

    public static func checksum(_ bytes: [UInt8]) -> UInt32 { checksum(bytes[...]) }
}
