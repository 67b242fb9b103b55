public import Logging

/// One logfmt line as bytes, written straight into a log buffer:
/// `ts=2026-11-23T19:19:53.120Z level=info label=batchd.api msg=request request_id=… status=200`.
///
/// Metadata comes after the message: the logger's own sorted by key (those the event
/// sets again are left to the event), then the event's sorted by key. A value with a
/// space, quote, `=` or control character, or an empty one, is quoted, so a line
/// always parses.
public enum LogLine {
    /// Appends the whole line, its newline included. `fields` must be sorted by key.
    public static func append(
        to bytes: inout [UInt8], clock: inout LogClock, epochMilliseconds: Int64, level: Logger.Level, label: String, message: String,
        fields: [(key: String, value: Logger.MetadataValue)], event: Logger.Metadata?
    ) {
        appendLiteral("ts=", to: &bytes)
        clock.append(epochMilliseconds: epochMilliseconds, to: &bytes)
        appendLiteral(" level=", to: &bytes)
        appendBytes(level.rawValue, to: &bytes)
        appendLiteral(" label=", to: &bytes)
        appendBytes(label, to: &bytes)
        appendLiteral(" msg=", to: &bytes)
        appendValue(message, to: &bytes)
        guard let event, !event.isEmpty else {
            for field in fields { appendField(field.key, field.value, to: &bytes) }
            bytes.append(UInt8(ascii: "\n"))
            return
        }
        // The event's fields in key order through a scratch list of their indices on the
        // stack: a request's line has four, and a sorted copy of them (or a lookup of each
        // of the logger's keys in them) cost more than the rest of the line.
        withUnsafeTemporaryAllocation(of: Logger.Metadata.Index.self, capacity: event.count) { order in
            var count = 0
            var index = event.startIndex
            while index != event.endIndex {
                order.initializeElement(at: count, to: index)
                var slot = count
                while slot > 0, event.keys[order[slot]] < event.keys[order[slot - 1]] {
                    order.swapAt(slot, slot - 1)
                    slot -= 1
                }
                count += 1
                index = event.index(after: index)
            }
            for field in fields where !order[..<count].contains(where: { event.keys[$0] == field.key }) {
                appendField(field.key, field.value, to: &bytes)
            }
            for index in order[..<count] { appendField(event.keys[index], event.values[index], to: &bytes) }
            _ = order.extracting(..<count).deinitialize()
        }
        bytes.append(UInt8(ascii: "\n"))
    }

    static func appendField(_ key: String, _ value: Logger.MetadataValue, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: " "))
        appendBytes(key, to: &bytes)
        bytes.append(UInt8(ascii: "="))
        switch value {
        case .string(let text): appendValue(text, to: &bytes)
        default: appendValue(value.description, to: &bytes)
        }
    }

    /// A value as it is, or quoted and escaped when it would not parse as it is.
    public static func appendValue(_ value: String, to bytes: inout [UInt8]) {
        // Over the string's own bytes in one piece (every string on Linux has them; the
        // view is the fallback): a byte at a time through the UTF-8 view was most of a line's cost.
        let plain = value.utf8.withContiguousStorageIfAvailable { text -> Bool in
            guard !text.isEmpty, !text.contains(where: needsQuotes) else { return false }
            bytes.append(contentsOf: text)
            return true
        }
        if plain == true { return }
        if plain == nil, !value.isEmpty, !value.utf8.contains(where: needsQuotes) {
            bytes += value.utf8
            return
        }
        bytes.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes += #"\""#.utf8
            case UInt8(ascii: "\\"): bytes += #"\\"#.utf8
            case 0x0A: bytes += #"\n"#.utf8
            case 0x0D: bytes += #"\r"#.utf8
            case 0x09: bytes += #"\t"#.utf8
            case ..<0x20: bytes.append(UInt8(ascii: "?"))
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private static func needsQuotes(_ byte: UInt8) -> Bool { byte <= 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "=") }

    /// A literal's bytes in one copy (appending a string's UTF-8 view goes byte by byte).
    private static func appendLiteral(_ literal: StaticString, to bytes: inout [UInt8]) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    private static func appendBytes(_ text: String, to bytes: inout [UInt8]) {
        if text.utf8.withContiguousStorageIfAvailable({ bytes.append(contentsOf: $0) }) == nil { bytes += text.utf8 }
    }
}
