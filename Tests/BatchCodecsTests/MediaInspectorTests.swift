import Testing

@testable import BatchCodecs

@Suite struct MediaInspectorTests {
    func inspect(_ bytes: [UInt8], _ name: String? = nil) -> Result<MediaInspector.Inspection, IngestFailure> {
        MediaInspector.inspect(bytes, filename: name)
    }

    func metadata(_ bytes: [UInt8], format: MediaFormat) throws -> JSONObject {
        switch inspect(bytes) {
        case .success(let inspection):
            #expect(inspection.format == format)
            return inspection.metadata
        case .failure(let failure):
            Issue.record("\(format) refused: \(failure)")
            return JSONObject()
        }
    }

    func failure(_ bytes: [UInt8], _ name: String? = nil) -> IngestFailure? {
        if case .failure(let failure) = inspect(bytes, name) { return failure }
        return nil
    }

    @Test func readsEveryFormat() throws {
        #expect(try metadata(MediaFixtures.png(), format: .png) == ["width": 3, "height": 2])
        #expect(try metadata(MediaFixtures.jpeg(), format: .jpeg) == ["width": 640, "height": 480])
        #expect(try metadata(MediaFixtures.gif(), format: .gif) == ["width": 5, "height": 7])
        #expect(try metadata(MediaFixtures.webp(), format: .webp) == ["width": 100, "height": 50])
        #expect(try metadata(MediaFixtures.wav(), format: .wav)["duration_seconds"] == .double(2))
        let mp3 = try metadata(MediaFixtures.mp3(), format: .mp3)
        #expect(mp3["bitrate_kbps"] == 128)
        #expect(try metadata(MediaFixtures.mp4(), format: .mp4)["duration_seconds"] == .double(12))
        #expect(try metadata(MediaFixtures.pdf(pages: 3), format: .pdf)["pages"] == 3)
        #expect(try metadata(MediaFixtures.docx(), format: .docx)["entries"] == 2)
        #expect(try metadata(MediaFixtures.docx(), format: .docx)["words"] == 2)
        #expect(try metadata(MediaFixtures.docx(deflated: true), format: .docx)["words"] == 18)
        #expect(try metadata(MediaFixtures.text(), format: .text)["words"] == 6)
    }

    @Test func magicBytesDecideNotTheName() throws {
        guard case .success(let inspection) = inspect(MediaFixtures.png(), "report.pdf") else {
            Issue.record("refused")
            return
        }
        #expect(inspection.format == .png)
    }

    @Test func truncatedFilesAreCorrupted() {
        let cases: [(String, [UInt8])] = [
            ("png", Array(MediaFixtures.png().dropLast(6))), ("jpeg", Array(MediaFixtures.jpeg().dropLast(2))),
            ("gif", Array(MediaFixtures.gif().dropLast())), ("webp", Array(MediaFixtures.webp().dropLast(3))),
            ("wav", Array(MediaFixtures.wav().prefix(100))), ("mp4", Array(MediaFixtures.mp4().dropLast(20))),
            ("pdf", Array(MediaFixtures.pdf().prefix(60))), ("docx", Array(MediaFixtures.docx().dropLast(30))),
            ("mp3", Array(MediaFixtures.mp3().prefix(200))),
        ]
        for (name, bytes) in cases {
            #expect(failure(bytes)?.type == "corrupted_file", "\(name)")
        }
    }

    @Test func badPNGChecksumIsCorrupted() {
        var png = MediaFixtures.png()
        png[20] ^= 0xFF
        #expect(failure(png)?.message.contains("CRC") == true)
    }

    @Test func unknownBytesAreFormatErrorsNamingTheExtension() {
        let refused = failure([0x00, 0x01, 0x02, 0xFE], "financial_data.xlsx")
        #expect(refused?.type == "format_error")
        #expect(refused?.message == "Unsupported file format")
        #expect(refused?.details["format"] == ".xlsx")
        #expect(refused?.details["supported_formats"]?.isNull == false)
        // A ZIP that is not a Word document.
        #expect(failure(MediaFixtures.docx(names: ["a.txt"]))?.type == "format_error")
    }

    @Test func oversizedFilesAreResourceErrors() {
        let big = MediaFixtures.pdf() + [UInt8](repeating: 0x20, count: 20 << 20)
        let refused = failure(big)
        #expect(refused?.type == "resource_error")
        #expect(refused?.details["limit_bytes"] == .integer(20 << 20))
    }

    @Test func inflateRefusesDamagedStreams() {
        var damaged = MediaFixtures.deflatedDocument
        damaged[10] ^= 0xFF
        let truncated = Array(MediaFixtures.deflatedDocument.prefix(40))
        #expect(throws: Inflate.Failure.self) { try Inflate.decompress(truncated[...], maxOutput: 1 << 20) }
        #expect(throws: Inflate.Failure.self) { try Inflate.decompress(MediaFixtures.deflatedDocument[...], maxOutput: 100) }
        // A flipped byte either fails or decodes to something else; it never traps.
        _ = try? Inflate.decompress(damaged[...], maxOutput: 1 << 20)
    }

    @Test func limitsAreConfigurable() {
        var limits = MediaLimits.wickson
        limits.documentBytes = 100
        guard case .failure(let refused) = MediaInspector.inspect(MediaFixtures.pdf(pages: 3), filename: nil, limits: limits) else {
            Issue.record("accepted over the configured limit")
            return
        }
        #expect(refused.type == "resource_error")
        #expect(refused.details["limit_bytes"] == 100)
        guard case .success = MediaInspector.inspect(MediaFixtures.png(), filename: nil, limits: limits) else {
            Issue.record("an image was held to the document limit")
            return
        }
    }

    @Test(arguments: 0..<200)
    func randomBytesNeverTrap(_ seed: Int) {
        var generator = SeededGenerator(seed: UInt64(seed))
        let formats: [[UInt8]] = [
            MediaFixtures.png(), MediaFixtures.jpeg(), MediaFixtures.wav(), MediaFixtures.mp4(), MediaFixtures.docx(), MediaFixtures.webp(),
            MediaFixtures.pdf(), MediaFixtures.mp3(), MediaFixtures.docx(deflated: true),
        ]
        var bytes = formats[seed % formats.count]
        for _ in 0..<8 { bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator) }
        bytes = Array(bytes.prefix(Int.random(in: 1...bytes.count, using: &generator)))
        _ = inspect(bytes)
    }
}

struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return state ^ (state >> 29)
    }
}
