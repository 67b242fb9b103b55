@testable import BatchCodecs

/// Small, valid files of every ingest format, built byte by byte, and ways to break them.
enum MediaFixtures {
    static func be32(_ v: Int) -> [UInt8] { [UInt8(v >> 24 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
    static func le32(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24 & 0xFF)] }
    static func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
    static func be16(_ v: Int) -> [UInt8] { [UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }

    static func pngChunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let body = Array(type.utf8) + data
        return be32(data.count) + body + be32(Int(CRC32.checksum(body)))
    }

    static func png(width: Int = 3, height: Int = 2) -> [UInt8] {
        [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + pngChunk("IHDR", be32(width) + be32(height) + [8, 2, 0, 0, 0])
            + pngChunk("IDAT", [0x78, 0x9C, 0x63, 0, 0, 0, 1, 0, 1]) + pngChunk("IEND", [])
    }

    static func jpeg(width: Int = 640, height: Int = 480) -> [UInt8] {
        [0xFF, 0xD8] + [0xFF, 0xE0] + be16(16) + Array("JFIF\0".utf8) + [1, 1, 0] + be16(1) + be16(1) + [0, 0]
            + [0xFF, 0xC0] + be16(11) + [8] + be16(height) + be16(width) + [1, 1, 0x11, 0]
            + [0xFF, 0xDA] + be16(8) + [1, 1, 0, 0, 0x3F, 0] + [0x12, 0x34] + [0xFF, 0xD9]
    }

    static func gif() -> [UInt8] { Array("GIF89a".utf8) + le16(5) + le16(7) + [0, 0, 0] + [0x3B] }

    static func webp() -> [UInt8] {
        let chunk = Array("VP8X".utf8) + le32(10) + [0, 0, 0, 0] + [99, 0, 0] + [49, 0, 0]
        let body = Array("WEBP".utf8) + chunk
        return Array("RIFF".utf8) + le32(body.count) + body
    }

    static func wav(seconds: Int = 2) -> [UInt8] {
        let rate = 8000
        let data = [UInt8](repeating: 0, count: rate * seconds)
        let fmt = Array("fmt ".utf8) + le32(16) + le16(1) + le16(1) + le32(rate) + le32(rate) + le16(1) + le16(8)
        let body = Array("WAVE".utf8) + fmt + Array("data".utf8) + le32(data.count) + data
        return Array("RIFF".utf8) + le32(body.count) + body
    }

    /// One second of 128 kbit/s MPEG-1 Layer III frames at 44.1 kHz.
    static func mp3() -> [UInt8] {
        let frame = [0xFF, 0xFB, 0x90, 0x00] + [UInt8](repeating: 0, count: 417 - 4)
        return Array("ID3".utf8) + [3, 0, 0, 0, 0, 0, 0] + (0..<38).flatMap { _ in frame }
    }

    static func mp4(durationSeconds: Int = 12) -> [UInt8] {
        let ftyp = be32(16) + Array("ftypisom".utf8) + be32(0x200)
        let mvhdBody = [0, 0, 0, 0] + be32(0) + be32(0) + be32(1000) + be32(durationSeconds * 1000) + [UInt8](repeating: 0, count: 80)
        let mvhd = be32(8 + mvhdBody.count) + Array("mvhd".utf8) + mvhdBody
        let moov = be32(8 + mvhd.count) + Array("moov".utf8) + mvhd
        return ftyp + moov
    }

    static func pdf(pages: Int = 2) -> [UInt8] {
        var text = "%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Count \(pages) >> endobj\n"
        for page in 0..<pages { text += "\(3 + page) 0 obj << /Type /Page /Parent 2 0 R >> endobj\n" }
        text += "xref\n0 1\ntrailer << /Root 1 0 R >>\nstartxref\n9\n%%EOF\n"
        return Array(text.utf8)
    }

    /// A document.xml of 18 words ("Quarterly summary of revenue grew again" three
    /// times, "revenue" split across runs), DEFLATE-compressed by zlib (raw, level 9).
    static let deflatedDocument: [UInt8] = [
        237, 79, 219, 13, 131, 48, 12, 92, 197, 202, 0, 77, 251, 139, 66, 152, 161, 35, 164, 96, 16, 18, 121, 200, 121, 64, 182, 111, 45, 81, 149, 74,
        76, 80, 245, 231, 108, 235, 236, 59, 159, 234, 54, 187, 64, 65, 138, 179, 119, 173, 184, 93, 174, 162, 211, 106, 109, 6, 223, 103, 139, 46,
        113, 255, 240, 67, 229, 26, 24, 136, 33, 233, 123, 54, 148, 144, 150, 170, 36, 143, 140, 244, 161, 225, 37, 218, 196, 96, 122, 108, 69, 32,
        140, 72, 5, 133, 134, 152, 173, 53, 84, 193, 143, 64, 88, 78, 47, 53, 186, 140, 95, 140, 220, 141, 143, 238, 19, 225, 10, 102, 50, 179, 59,
        89, 149, 239, 143, 229, 49, 198, 63, 231, 79, 229, 124, 2,
    ]

    /// A ZIP holding the entries a .docx must have; document.xml stored as given,
    /// or deflated (method 8) when `deflated` is true.
    static func docx(
        names: [String] = ["[Content_Types].xml", "word/document.xml"], document: [UInt8] = Array("<w:p><w:t>two words</w:t></w:p>".utf8),
        deflated: Bool = false
    ) -> [UInt8] {
        var local: [UInt8] = []
        var central: [UInt8] = []
        for name in names {
            let isDocument = name == "word/document.xml"
            let data = isDocument ? (deflated ? deflatedDocument : document) : Array("<x/>".utf8)
            let method = isDocument && deflated ? 8 : 0
            let crc = Int(CRC32.checksum(data))
            let offset = local.count
            let nameBytes = Array(name.utf8)
            local +=
                [0x50, 0x4B, 0x03, 0x04] + le16(20) + le16(0) + le16(method) + le16(0) + le16(0) + le32(crc) + le32(data.count) + le32(data.count)
                + le16(nameBytes.count) + le16(0) + nameBytes + data
            central +=
                [0x50, 0x4B, 0x01, 0x02] + le16(20) + le16(20) + le16(0) + le16(method) + le16(0) + le16(0) + le32(crc) + le32(data.count)
                + le32(data.count) + le16(nameBytes.count) + le16(0) + le16(0) + le16(0) + le16(0) + le32(0) + le32(offset) + nameBytes
        }
        let eocd =
            [0x50, 0x4B, 0x05, 0x06] + le16(0) + le16(0) + le16(names.count) + le16(names.count) + le32(central.count) + le32(local.count) + le16(0)
        return local + central + eocd
    }

    static func text() -> [UInt8] { Array("Quarterly summary\nrevenue grew ✓ again\n".utf8) }
}
