import CZlib

/// Files built to hurt batchd's inspector, shared by the unit and integration tests.
public enum HostileFiles {
    /// An `ftyp` box and a box of size 1 whose 64-bit size is 0x7FFF_FFFF_FFFF_FFFF:
    /// the 40 bytes that crash-looped batchd through an overflow in the box walk.
    public static let mp4HugeBox: [UInt8] = {
        let ftyp: [UInt8] = [0, 0, 0, 24] + Array("ftypisom".utf8) + [0, 0, 2, 0] + Array("isomiso2".utf8)
        let huge: [UInt8] = [0, 0, 0, 1] + Array("mdat".utf8) + [0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]
        return ftyp + huge
    }()

    /// Raw DEFLATE of `count` copies of `byte`, through zlib (level 9: about 1,000 to 1).
    public static func deflate(_ byte: UInt8, count: Int) -> [UInt8] {
        let input = [UInt8](repeating: byte, count: count)
        var stream = z_stream()
        precondition(
            deflateInit2_(&stream, 9, Z_DEFLATED, -MAX_WBITS, 9, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK)
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(count))))
        let produced = input.withUnsafeBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer -> Int in
                stream.next_in = UnsafeMutablePointer(mutating: inBuffer.baseAddress)
                stream.avail_in = uInt(inBuffer.count)
                stream.next_out = outBuffer.baseAddress
                stream.avail_out = uInt(outBuffer.count)
                precondition(CZlib.deflate(&stream, Z_FINISH) == Z_STREAM_END)
                return outBuffer.count - Int(stream.avail_out)
            }
        }
        return Array(output.prefix(produced))
    }

    /// A ZIP of `entries` (name, stored data, method, uncompressed size); the end
    /// record's count is `countField` (default: the real count, or 0xFFFF past it, as ZIP64 writers do).
    public static func zip(_ entries: [(name: String, data: [UInt8], method: Int, size: Int)], countField: Int? = nil) -> [UInt8] {
        var local: [UInt8] = []
        var central: [UInt8] = []
        for entry in entries {
            let offset = local.count
            let name = Array(entry.name.utf8)
            local +=
                [0x50, 0x4B, 0x03, 0x04] + le16(20) + le16(0) + le16(entry.method) + le16(0) + le16(0) + le32(0) + le32(entry.data.count)
                + le32(entry.size) + le16(name.count) + le16(0) + name + entry.data
            central +=
                [0x50, 0x4B, 0x01, 0x02] + le16(20) + le16(20) + le16(0) + le16(entry.method) + le16(0) + le16(0) + le32(0)
                + le32(entry.data.count) + le32(entry.size) + le16(name.count) + le16(0) + le16(0) + le16(0) + le16(0) + le32(0) + le32(offset) + name
        }
        let count = countField ?? min(entries.count, 0xFFFF)
        let eocd = [0x50, 0x4B, 0x05, 0x06] + le16(0) + le16(0) + le16(count) + le16(count) + le32(central.count) + le32(local.count) + le16(0)
        return local + central + eocd
    }

    /// A .docx whose `word/document.xml` is `inflated` bytes of spaces, deflated
    /// (a 256 MiB document fits in about 260 KB).
    public static func docxBomb(inflated: Int) -> [UInt8] {
        zip([
            ("[Content_Types].xml", Array("<x/>".utf8), 0, 4),
            ("word/document.xml", deflate(UInt8(ascii: " "), count: inflated), 8, inflated),
        ])
    }

    /// A ZIP (named like a .docx) of `count` empty entries.
    public static func manyEntries(_ count: Int) -> [UInt8] {
        zip((0..<count).map { (name: "f\($0)", data: [UInt8](), method: 0, size: 0) })
    }

    static func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF)] }
    static func le32(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8((v >> 24) & 0xFF)] }
}
