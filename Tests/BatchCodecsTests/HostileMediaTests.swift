import TestSupport
import Testing

@testable import BatchCodecs

/// Files built to break the inspector: each once took batchd down or held it for
/// long. Every one must give a typed failure (or a value), never a trap.
@Suite struct HostileMediaTests {
    static let mp4HugeBox = HostileFiles.mp4HugeBox

    @Test func mp4WithA64BitBoxSizeIsCorrupted() {
        #expect(Self.mp4HugeBox.count == 40)
        guard case .failure(let failure) = MediaInspector.inspect(Self.mp4HugeBox, filename: "evil.mp4") else {
            Issue.record("accepted")
            return
        }
        #expect(failure.type == "corrupted_file")
    }

    /// Every 64-bit size an attacker might pick, and every 32-bit size: no trap.
    @Test(arguments: [UInt64.max, UInt64(Int64.max), UInt64(Int64.max) + 1, 1 << 32, 0xFFFF_FFFF, 16, 17, 0])
    func mp4SizesNeverTrap(_ size: UInt64) {
        var bytes = Array(Self.mp4HugeBox.prefix(32))
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: size >> UInt64(shift))) }
        _ = MediaInspector.inspect(bytes, filename: nil)
        var small = Array(Self.mp4HugeBox.prefix(24))
        small += [
            UInt8(truncatingIfNeeded: size >> 24), UInt8(truncatingIfNeeded: size >> 16), UInt8(truncatingIfNeeded: size >> 8),
            UInt8(truncatingIfNeeded: size),
        ]
        small += Array("moov".utf8)
        _ = MediaInspector.inspect(small, filename: nil)
    }

    /// Every 4-byte window of every fixture set to the extreme values that
    /// length and offset fields are most often abused with.
    @Test(arguments: [UInt8(0x00), 0x7F, 0x80, 0xFF])
    func extremeFieldsNeverTrap(_ fill: UInt8) {
        let fixtures: [[UInt8]] = [
            MediaFixtures.png(), MediaFixtures.jpeg(), MediaFixtures.gif(), MediaFixtures.webp(), MediaFixtures.wav(), MediaFixtures.mp3(),
            MediaFixtures.mp4(), MediaFixtures.pdf(), MediaFixtures.docx(), MediaFixtures.docx(deflated: true), Self.mp4HugeBox,
        ]
        for fixture in fixtures {
            for offset in 0..<max(0, fixture.count - 3) {
                var bytes = fixture
                for i in offset..<(offset + 4) { bytes[i] = fill }
                _ = MediaInspector.inspect(bytes, filename: nil)
            }
        }
    }
}

/// Decompression is bounded in total, in ratio and in ZIP entries.
@Suite struct DecompressionLimitTests {
    @Test func zipBombIsAResourceError() {
        let bomb = HostileFiles.docxBomb(inflated: 32 << 20)
        #expect(bomb.count < 64 << 10)
        guard case .failure(let failure) = MediaInspector.inspect(bomb, filename: "bomb.docx") else {
            Issue.record("accepted")
            return
        }
        #expect(failure.type == "resource_error")
        #expect(failure.message.contains("100 times"))
    }

    @Test func inflatedTotalIsBounded() {
        var limits = MediaLimits.wickson
        limits.inflatedBytes = 64
        let document = MediaFixtures.docx(deflated: true)
        guard case .failure(let failure) = MediaInspector.inspect(document, filename: nil, limits: limits) else {
            Issue.record("accepted")
            return
        }
        #expect(failure.type == "resource_error")
        #expect(failure.details["limit_inflated_bytes"] == 64)
    }

    @Test func zipEntriesAreBounded() {
        var limits = MediaLimits.wickson
        limits.zipEntries = 1
        guard case .failure(let failure) = MediaInspector.inspect(MediaFixtures.docx(), filename: nil, limits: limits) else {
            Issue.record("accepted")
            return
        }
        #expect(failure.type == "resource_error")
        #expect(failure.details["entries"] == 2)
    }

    @Test func streamingInflateMatchesWholeInflate() throws {
        let data = HostileFiles.deflate(UInt8(ascii: "x"), count: 300_000)
        let whole = try Inflate.decompress(data[...], maxOutput: 1 << 20)
        #expect(whole == [UInt8](repeating: UInt8(ascii: "x"), count: 300_000))
        var pieces = 0
        let total = try Inflate.stream(data[...], limits: .init(maxOutput: 1 << 20)) { _ in pieces += 1 }
        #expect(total == 300_000)
        #expect(pieces > 1)
    }
}

/// The streaming word count agrees with `Character.isWhitespace` splitting.
@Suite struct WordCounterTests {
    @Test(arguments: [
        "", "one", " two  words ", "a\u{00A0}b\u{2003}c\u{3000}d", "tab\tnew\nline\r\nend", "\u{1680}x\u{205F}y\u{2029}",
        "caf\u{E9} na\u{EF}ve \u{1F600}", "\u{85}lead",
    ])
    func agreesWithCharacterSplitting(_ text: String) {
        var counter = WordCounter()
        counter.feed(Array(text.utf8))
        #expect(counter.words == text.split(whereSeparator: { $0.isWhitespace }).count)
    }

    @Test func malformedUTF8CountsAsText() {
        var counter = WordCounter()
        counter.feed([0xFF, 0x20, 0xE2, 0x80, 0x41, 0x20, 0xC2])
        #expect(counter.words == 2)
    }

    @Test func piecesGiveTheSameCount() {
        let text = Array("word\u{2003}word\u{00A0}word  word".utf8)
        var whole = WordCounter()
        whole.feed(text)
        var split = WordCounter()
        for byte in text { split.feed([byte]) }
        #expect(whole.words == 4)
        #expect(split.words == 4)
    }
}
