import BatchModel
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// Writes one logfmt line per event to a file descriptor with a single `write(2)`:
/// `ts=2026-11-23T19:19:53.120Z level=info label=batchd.api msg=request request_id=… status=200`.
///
/// Why not swift-log's `StreamLogHandler`: it formats time through `localtime_r`,
/// which stats /etc/localtime on every line, and serializes writers on the stdio
/// lock; on a request path that logs every request both show up in profiles.
/// Lines shorter than PIPE_BUF never interleave.
struct LogLineHandler: LogHandler {
    let label: String
    let fd: Int32
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    init(label: String, fd: Int32 = 2, level: Logger.Level) {
        self.label = label
        self.fd = fd
        self.logLevel = level
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?, source: String, file: String, function: String, line: UInt) {
        var text = "ts=" + Timestamp.now().iso8601 + " level=" + level.rawValue + " label=" + label + " msg="
        Self.appendValue(message.description, to: &text)
        // Handler metadata first (request_id, tenant), then the event's own.
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) where explicit?[key] == nil {
            text += " " + key + "="
            Self.appendValue(value.description, to: &text)
        }
        if let explicit {
            for (key, value) in explicit.sorted(by: { $0.key < $1.key }) {
                text += " " + key + "="
                Self.appendValue(value.description, to: &text)
            }
        }
        text += "\n"
        var bytes = Array(text.utf8)
        _ = bytes.withUnsafeMutableBytes { write(fd, $0.baseAddress, $0.count) }
    }

    /// Quotes values with spaces, quotes or control characters so a line always parses.
    static func appendValue(_ value: String, to text: inout String) {
        let needsQuotes = value.isEmpty || value.utf8.contains { $0 <= 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "=") }
        guard needsQuotes else {
            text += value
            return
        }
        text += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            default:
                if scalar.value < 0x20 { text += "?" } else { text.unicodeScalars.append(scalar) }
            }
        }
        text += "\""
    }
}
