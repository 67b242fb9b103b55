/// Reads a file's bytes and says what it is: the format from its magic bytes
/// (never just its name), whether it is whole (per-format integrity checks), and
/// what can be learned from it (pages, dimensions, duration, words).
///
/// Pure and total: any bytes give an `Inspection` or an `IngestFailure`, never a trap.
public enum MediaInspector {
    public struct Inspection: Sendable, Equatable {
        public var format: MediaFormat
        public var metadata: JSONObject

        public init(format: MediaFormat, metadata: JSONObject) {
            self.format = format
            self.metadata = metadata
        }
    }

    public static func inspect(_ bytes: [UInt8], filename: String?, limits: MediaLimits = .wickson) -> Result<Inspection, IngestFailure> {
        guard let format = detect(bytes) else {
            let ext = filename.flatMap { name in name.lastIndex(of: ".").map { String(name[$0...]).lowercased() } } ?? "unknown"
            return .failure(
                IngestFailure(
                    "format_error", "Unsupported file format",
                    details: ["format": .string(ext), "supported_formats": .array(MediaFormat.supportedExtensions.map(JSONValue.string))]))
        }
        guard bytes.count <= limits.maxBytes(for: format) else {
            return .failure(tooLarge(format, size: bytes.count, limit: limits.maxBytes(for: format)))
        }
        do {
            let metadata = try check(format, Reader(bytes), limits: limits)
            return .success(Inspection(format: format, metadata: metadata))
        } catch {
            return .failure(error)
        }
    }

    public static func tooLarge(_ format: MediaFormat, size: Int, limit: Int) -> IngestFailure {
        IngestFailure(
            "resource_error", "\(format.fileExtension) files may be at most \(limit) bytes; this one has \(size)",
            details: ["format": .string(format.fileExtension), "limit_bytes": .integer(limit), "size_bytes": .integer(size)])
    }

    /// The format announced by the first bytes of a file of `size` bytes. Text is
    /// judged on the prefix alone (a multi-byte character may be cut at its end).
    public static func detect(_ head: [UInt8], prefixOf size: Int) -> MediaFormat? {
        if head.count == size { return detect(head) }
        if let format = detect(head), format != .text { return format }
        guard !head.isEmpty, !head.contains(0) else { return nil }
        // Drop a trailing partial UTF-8 sequence before validating.
        var end = head.count
        while end > 0, head.count - end < 4, head[end - 1] & 0xC0 == 0x80 { end -= 1 }
        if end > 0, head[end - 1] >= 0xC0 { end -= 1 }
        return String(validating: head[0..<end], as: UTF8.self) != nil ? .text : nil
    }

    /// The format the magic bytes announce, or nil.
    public static func detect(_ b: [UInt8]) -> MediaFormat? {
        func starts(_ prefix: [UInt8], at offset: Int = 0) -> Bool {
            b.count >= offset + prefix.count && Array(b[offset..<offset + prefix.count]) == prefix
        }
        if starts(Array("%PDF-".utf8)) { return .pdf }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if starts([0xFF, 0xD8, 0xFF]) { return .jpeg }
        if starts(Array("GIF87a".utf8)) || starts(Array("GIF89a".utf8)) { return .gif }
        if starts(Array("RIFF".utf8)), starts(Array("WEBP".utf8), at: 8) { return .webp }
        if starts(Array("RIFF".utf8)), starts(Array("WAVE".utf8), at: 8) { return .wav }
        if starts(Array("ftyp".utf8), at: 4) { return .mp4 }
        if starts(Array("ID3".utf8)) || (b.count >= 2 && b[0] == 0xFF && b[1] & 0xE0 == 0xE0) { return .mp3 }
        if starts([0x50, 0x4B, 0x03, 0x04]) { return .docx }
        if !b.isEmpty, !b.contains(0), String(validating: b, as: UTF8.self) != nil { return .text }
        return nil
    }

    static func check(_ format: MediaFormat, _ r: Reader, limits: MediaLimits) throws(IngestFailure) -> JSONObject {
        switch format {
        case .pdf: return try pdf(r)
        case .png: return try png(r)
        case .jpeg: return try jpeg(r)
        case .gif: return try gif(r)
        case .webp: return try webp(r)
        case .wav: return try wav(r)
        case .mp3: return try mp3(r)
        case .mp4: return try mp4(r)
        case .docx: return try docx(r, limits: limits)
        case .text: return text(r)
        }
    }

    // MARK: Documents

    static func pdf(_ r: Reader) throws(IngestFailure) -> JSONObject {
        let tail = r.bytes.suffix(1024)
        guard r.find(Array("%%EOF".utf8), in: tail.startIndex..<tail.endIndex) != nil else {
            throw .corrupted(.pdf, "no %%EOF trailer (truncated)")
        }
        guard r.find(Array("startxref".utf8), in: max(0, r.count - 4096)..<r.count) != nil else {
            throw .corrupted(.pdf, "no startxref before the trailer")
        }
        let version = String(decoding: r.bytes[5..<min(8, r.count)], as: UTF8.self)
        // Page objects: "/Type /Page" or "/Type/Page", not "/Pages".
        var pages = 0
        for marker in ["/Type /Page", "/Type/Page"] {
            let needle = Array(marker.utf8)
            var start = 0
            while let at = r.find(needle, in: start..<r.count) {
                let next = at + needle.count
                if next >= r.count || r.bytes[next] != UInt8(ascii: "s") { pages += 1 }
                start = next
            }
        }
        return ["pdf_version": .string(version), "pages": .integer(pages)]
    }

    static func docx(_ r: Reader, limits: MediaLimits) throws(IngestFailure) -> JSONObject {
        // End of central directory: the last "PK\5\6" within the final 64 KiB + 22 bytes.
        let signature: [UInt8] = [0x50, 0x4B, 0x05, 0x06]
        var eocd: Int?
        var at = r.count - 22
        while at >= max(0, r.count - 65_557) {
            if r.bytes[at] == 0x50, r.matches(signature, at: at) {
                eocd = at
                break
            }
            at -= 1
        }
        guard let eocd else { throw .corrupted(.docx, "no ZIP end of central directory (truncated)") }
        let entries = Int(r.u16le(eocd + 10) ?? 0)
        let size = Int(r.u32le(eocd + 12) ?? 0)
        let offset = Int(r.u32le(eocd + 16) ?? 0)
        guard offset + size <= eocd, entries > 0 else { throw .corrupted(.docx, "central directory out of bounds") }
        guard entries <= limits.zipEntries else {
            throw IngestFailure(
                "resource_error", "ZIP archive has \(entries) entries; at most \(limits.zipEntries) are read",
                details: ["format": ".docx", "entries": .integer(entries), "limit_entries": .integer(limits.zipEntries)])
        }
        var names: [String] = []
        var document: (method: UInt16, size: Int, localHeader: Int)?
        var cursor = offset
        for _ in 0..<entries {
            guard r.matches([0x50, 0x4B, 0x01, 0x02], at: cursor), let nameLength = r.u16le(cursor + 28), let extra = r.u16le(cursor + 30),
                let comment = r.u16le(cursor + 32), let method = r.u16le(cursor + 10), let size = r.u32le(cursor + 20),
                let localHeader = r.u32le(cursor + 42), cursor + 46 + Int(nameLength) <= r.count
            else { throw .corrupted(.docx, "central directory entry damaged") }
            let name = String(decoding: r.bytes[(cursor + 46)..<(cursor + 46 + Int(nameLength))], as: UTF8.self)
            names.append(name)
            if name == "word/document.xml" { document = (method, Int(size), Int(localHeader)) }
            cursor += 46 + Int(nameLength) + Int(extra) + Int(comment)
        }
        guard names.contains("[Content_Types].xml"), names.contains("word/document.xml") else {
            throw IngestFailure(
                "format_error", "ZIP archive is not a Word document",
                details: ["format": ".zip", "supported_formats": .array(MediaFormat.supportedExtensions.map(JSONValue.string))])
        }
        var metadata: JSONObject = ["entries": .integer(entries)]
        if let document { metadata["words"] = .integer(try docxWords(r, document, limits: limits)) }
        return metadata
    }

    /// Words in `word/document.xml`: the text of its runs, paragraphs apart.
    static func docxWords(_ r: Reader, _ entry: (method: UInt16, size: Int, localHeader: Int), limits: MediaLimits) throws(IngestFailure) -> Int {
        let at = entry.localHeader
        guard r.matches([0x50, 0x4B, 0x03, 0x04], at: at), let nameLength = r.u16le(at + 26), let extra = r.u16le(at + 28) else {
            throw .corrupted(.docx, "local header of word/document.xml damaged")
        }
        let start = at + 30 + Int(nameLength) + Int(extra)
        guard start + entry.size <= r.count else { throw .corrupted(.docx, "word/document.xml runs past the end") }
        let stored = r.bytes[start..<(start + entry.size)]
        var text = DocxText()
        switch entry.method {
        case 0: stored.withUnsafeBufferPointer { text.feed($0) }
        case 8:
            do {
                try Inflate.stream(stored, limits: Inflate.Limits(maxOutput: limits.inflatedBytes, maxRatio: limits.inflateRatio)) { text.feed($0) }
            } catch  where error.kind == .tooLarge {
                throw IngestFailure(
                    "resource_error", "word/document.xml \(error.reason)",
                    details: [
                        "format": ".docx", "limit_inflated_bytes": .integer(limits.inflatedBytes),
                        "limit_inflate_ratio": .integer(limits.inflateRatio),
                    ])
            } catch {
                throw .corrupted(.docx, "word/document.xml does not decompress: \(error.reason)")
            }
        default:
            throw .corrupted(.docx, "word/document.xml uses compression method \(entry.method)")
        }
        return text.words
    }

    static func text(_ r: Reader) -> JSONObject {
        var counter = WordCounter()
        counter.feed(r.bytes)
        var lines = r.bytes.last == 0x0A ? 0 : 1
        for byte in r.bytes where byte == 0x0A { lines += 1 }
        return ["encoding": "utf-8", "words": .integer(counter.words), "lines": .integer(lines)]
    }

    // MARK: Images

    static func png(_ r: Reader) throws(IngestFailure) -> JSONObject {
        var cursor = 8
        var width: UInt32?
        var height: UInt32?
        var sawEnd = false
        while cursor < r.count {
            guard let length = r.u32be(cursor), cursor + 12 + Int(length) <= r.count else {
                throw .corrupted(.png, "chunk runs past the end (truncated)")
            }
            let type = Array(r.bytes[(cursor + 4)..<(cursor + 8)])
            let dataEnd = cursor + 8 + Int(length)
            guard CRC32.checksum(r.bytes[(cursor + 4)..<dataEnd]) == r.u32be(dataEnd) else {
                throw .corrupted(.png, "CRC mismatch in \(String(decoding: type, as: UTF8.self)) chunk")
            }
            if type == Array("IHDR".utf8) {
                width = r.u32be(cursor + 8)
                height = r.u32be(cursor + 12)
            }
            cursor = dataEnd + 4
            if type == Array("IEND".utf8) {
                sawEnd = true
                break
            }
        }
        guard let width, let height else { throw .corrupted(.png, "no IHDR chunk") }
        guard sawEnd else { throw .corrupted(.png, "no IEND chunk (truncated)") }
        return ["width": .integer(width), "height": .integer(height)]
    }

    static func jpeg(_ r: Reader) throws(IngestFailure) -> JSONObject {
        guard r.count >= 4, r.bytes[r.count - 2] == 0xFF, r.bytes[r.count - 1] == 0xD9 else {
            throw .corrupted(.jpeg, "no end-of-image marker (truncated)")
        }
        var cursor = 2
        while cursor + 4 <= r.count {
            guard r.bytes[cursor] == 0xFF else { throw .corrupted(.jpeg, "bad marker at byte \(cursor)") }
            let marker = r.bytes[cursor + 1]
            if marker == 0xFF {
                cursor += 1
                continue
            }
            guard let length = r.u16be(cursor + 2), length >= 2, cursor + 2 + Int(length) <= r.count else {
                throw .corrupted(.jpeg, "segment runs past the end")
            }
            if (0xC0...0xCF).contains(marker), marker != 0xC4, marker != 0xC8, marker != 0xCC {
                guard let height = r.u16be(cursor + 5), let width = r.u16be(cursor + 7) else { throw .corrupted(.jpeg, "short frame header") }
                return ["width": .integer(width), "height": .integer(height)]
            }
            if marker == 0xDA { break }
            cursor += 2 + Int(length)
        }
        throw .corrupted(.jpeg, "no frame header")
    }

    static func gif(_ r: Reader) throws(IngestFailure) -> JSONObject {
        guard let width = r.u16le(6), let height = r.u16le(8) else { throw .corrupted(.gif, "short header") }
        guard r.bytes.last == 0x3B else { throw .corrupted(.gif, "no trailer (truncated)") }
        return ["width": .integer(width), "height": .integer(height)]
    }

    static func webp(_ r: Reader) throws(IngestFailure) -> JSONObject {
        guard let size = r.u32le(4), Int(size) + 8 == r.count else { throw .corrupted(.webp, "RIFF size does not match the file (truncated)") }
        guard r.count >= 30 else { throw .corrupted(.webp, "short header") }
        let chunk = String(decoding: r.bytes[12..<16], as: UTF8.self)
        switch chunk {
        case "VP8X":
            let width = Int(r.bytes[24]) | Int(r.bytes[25]) << 8 | Int(r.bytes[26]) << 16
            let height = Int(r.bytes[27]) | Int(r.bytes[28]) << 8 | Int(r.bytes[29]) << 16
            return ["width": .integer(width + 1), "height": .integer(height + 1)]
        case "VP8 ":
            guard let width = r.u16le(26), let height = r.u16le(28) else { throw .corrupted(.webp, "short VP8 header") }
            return ["width": .integer(width & 0x3FFF), "height": .integer(height & 0x3FFF)]
        case "VP8L":
            guard r.count >= 25 else { throw .corrupted(.webp, "short VP8L header") }
            let bits = UInt32(r.bytes[21]) | UInt32(r.bytes[22]) << 8 | UInt32(r.bytes[23]) << 16 | UInt32(r.bytes[24]) << 24
            return ["width": .integer((bits & 0x3FFF) + 1), "height": .integer(((bits >> 14) & 0x3FFF) + 1)]
        default:
            throw .corrupted(.webp, "unknown first chunk \(chunk)")
        }
    }

    // MARK: Audio and video

    static func wav(_ r: Reader) throws(IngestFailure) -> JSONObject {
        guard let size = r.u32le(4), Int(size) + 8 <= r.count else { throw .corrupted(.wav, "RIFF size is larger than the file (truncated)") }
        var cursor = 12
        var byteRate: UInt32?
        var channels: UInt16?
        var sampleRate: UInt32?
        while cursor + 8 <= r.count {
            let id = String(decoding: r.bytes[cursor..<(cursor + 4)], as: UTF8.self)
            guard let length = r.u32le(cursor + 4) else { break }
            if id == "fmt " {
                channels = r.u16le(cursor + 10)
                sampleRate = r.u32le(cursor + 12)
                byteRate = r.u32le(cursor + 16)
            } else if id == "data" {
                guard cursor + 8 + Int(length) <= r.count else { throw .corrupted(.wav, "data chunk runs past the end (truncated)") }
                guard let byteRate, byteRate > 0, let channels, let sampleRate else { throw .corrupted(.wav, "no fmt chunk before data") }
                let seconds = (Double(length) / Double(byteRate) * 1000).rounded() / 1000
                return ["duration_seconds": .double(seconds), "channels": .integer(channels), "sample_rate": .integer(sampleRate)]
            }
            cursor += 8 + Int(length) + Int(length & 1)
        }
        throw .corrupted(.wav, "no data chunk")
    }

    static func mp3(_ r: Reader) throws(IngestFailure) -> JSONObject {
        var cursor = 0
        if r.matches(Array("ID3".utf8), at: 0) {
            guard r.count >= 10 else { throw .corrupted(.mp3, "short ID3 header") }
            let size = (Int(r.bytes[6]) & 0x7F) << 21 | (Int(r.bytes[7]) & 0x7F) << 14 | (Int(r.bytes[8]) & 0x7F) << 7 | (Int(r.bytes[9]) & 0x7F)
            cursor = 10 + size
        }
        guard cursor + 4 <= r.count, r.bytes[cursor] == 0xFF, r.bytes[cursor + 1] & 0xE0 == 0xE0 else { throw .corrupted(.mp3, "no MPEG frame") }
        // MPEG-1 Layer III bitrates (kbit/s) and sample rates.
        let bitrates = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 0]
        let sampleRates = [44_100, 48_000, 32_000, 0]
        let bitrate = bitrates[Int(r.bytes[cursor + 2] >> 4)]
        let sampleRate = sampleRates[Int((r.bytes[cursor + 2] >> 2) & 0x3)]
        guard bitrate > 0, sampleRate > 0 else { throw .corrupted(.mp3, "bad frame header") }
        let frameBytes = 144_000 * bitrate / sampleRate
        guard cursor + frameBytes <= r.count else { throw .corrupted(.mp3, "first frame runs past the end (truncated)") }
        let seconds = (Double(r.count - cursor) * 8 / Double(bitrate * 1000) * 1000).rounded() / 1000
        return ["duration_seconds": .double(seconds), "bitrate_kbps": .integer(bitrate), "sample_rate": .integer(sampleRate)]
    }

    static func mp4(_ r: Reader) throws(IngestFailure) -> JSONObject {
        var cursor = 0
        var duration: Double?
        var sawMovie = false
        while cursor + 8 <= r.count {
            guard let size32 = r.u32be(cursor) else { break }
            let type = String(decoding: r.bytes[(cursor + 4)..<(cursor + 8)], as: UTF8.self)
            // Sizes are compared as UInt64 against what is left: a 64-bit size read
            // from the file never takes part in Int arithmetic before it is known to fit.
            let remaining = UInt64(r.count - cursor)
            var declared = UInt64(size32)
            if size32 == 1 {
                guard let high = r.u32be(cursor + 8), let low = r.u32be(cursor + 12) else {
                    throw .corrupted(.mp4, "\(type) box header is cut short")
                }
                declared = UInt64(high) << 32 | UInt64(low)
            } else if size32 == 0 {
                declared = remaining
            }
            guard declared >= 8, declared <= remaining else { throw .corrupted(.mp4, "\(type) box runs past the end (truncated)") }
            let size = Int(declared)
            if type == "moov" {
                sawMovie = true
                // mvhd is the first child of moov in practice; look for it inside.
                if let at = r.find(Array("mvhd".utf8), in: (cursor + 8)..<(cursor + size)), at + 5 <= r.count {
                    let version = r.bytes[at + 4]
                    if version == 0, let scale = r.u32be(at + 16), let length = r.u32be(at + 20), scale > 0 {
                        duration = Double(length) / Double(scale)
                    } else if version == 1, let scale = r.u32be(at + 24), let high = r.u32be(at + 28), let low = r.u32be(at + 32), scale > 0 {
                        duration = Double(UInt64(high) << 32 | UInt64(low)) / Double(scale)
                    }
                }
            }
            cursor += size
        }
        guard sawMovie else { throw .corrupted(.mp4, "no moov box") }
        var metadata: JSONObject = [:]
        if let duration { metadata["duration_seconds"] = .double((duration * 1000).rounded() / 1000) }
        return metadata
    }
}

/// Bounds-checked reads of little- and big-endian integers.
struct Reader {
    let bytes: [UInt8]
    var count: Int { bytes.count }

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func u16le(_ at: Int) -> UInt16? { at >= 0 && at + 2 <= count ? UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8 : nil }
    func u16be(_ at: Int) -> UInt16? { at >= 0 && at + 2 <= count ? UInt16(bytes[at]) << 8 | UInt16(bytes[at + 1]) : nil }
    func u32le(_ at: Int) -> UInt32? {
        at >= 0 && at + 4 <= count ? UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24 : nil
    }
    func u32be(_ at: Int) -> UInt32? {
        at >= 0 && at + 4 <= count ? UInt32(bytes[at]) << 24 | UInt32(bytes[at + 1]) << 16 | UInt32(bytes[at + 2]) << 8 | UInt32(bytes[at + 3]) : nil
    }

    func matches(_ needle: [UInt8], at: Int) -> Bool {
        at >= 0 && at + needle.count <= count && bytes[at..<(at + needle.count)].elementsEqual(needle)
    }

    /// The first index of `needle` within `range`, or nil.
    func find(_ needle: [UInt8], in range: Range<Int>) -> Int? {
        guard !needle.isEmpty, range.count >= needle.count else { return nil }
        var at = range.lowerBound
        while at + needle.count <= range.upperBound {
            if bytes[at] == needle[0], matches(needle, at: at) { return at }
            at += 1
        }
        return nil
    }
}
