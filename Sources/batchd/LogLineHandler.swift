import BatchModel
import Foundation
import Lifecycle
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Writes one logfmt line per event to a file descriptor with a single `write(2)`:
/// `ts=2026-11-23T19:19:53.120Z level=info label=batchd.api msg=request request_id=… status=200`.
///
/// Why not swift-log's `StreamLogHandler`: it formats time through `localtime_r`,
/// which stats /etc/localtime on every line, and serializes writers on the stdio
/// lock; on a request path that logs every request both show up in profiles.
///
/// Lines below `notice` (one a request) are buffered per logger and written in
/// blocks of up to 32 KB at least once a second by `LogBuffer.startFlushing()`, as
/// nginx's `access_log … buffer= flush=` does: one syscall per request cost a quarter
/// of the request rate. Notices, warnings and errors are written at once, after
/// anything buffered before them. At most a second of request lines is lost on a crash.
struct LogLineHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?
    private let buffer: LogBuffer

    init(label: String, fd: Int32 = 2, level: Logger.Level) {
        self.label = label
        self.logLevel = level
        self.buffer = LogBuffer.make(fd: fd)
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let level = event.level
        let explicit = event.metadata
        var text = "ts=" + Timestamp.now().iso8601 + " level=" + level.rawValue + " label=" + label + " msg="
        Self.appendValue(event.message.description, to: &text)
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
        buffer.append(Array(text.utf8), flushNow: level >= .notice)
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

/// Log bytes waiting to be written to one file descriptor. Each logger has its
/// own, so request threads never wait on each other; the lock is contended only
/// by the once-a-second flusher.
final class LogBuffer: Sendable {
    static let flushThreshold = 32 << 10
    private static let all = Mutex<[LogBuffer]>([])

    let fd: Int32
    private let pending = Mutex<[UInt8]>([])

    private init(fd: Int32) { self.fd = fd }

    static func make(fd: Int32) -> LogBuffer {
        let buffer = LogBuffer(fd: fd)
        all.withLock { $0.append(buffer) }
        return buffer
    }

    func append(_ line: [UInt8], flushNow: Bool) {
        let ready: [UInt8]? = pending.withLock { bytes in
            bytes.append(contentsOf: line)
            guard flushNow || bytes.count >= Self.flushThreshold else { return nil }
            defer { bytes.removeAll(keepingCapacity: true) }
            return bytes
        }
        if let ready { Self.write(ready, to: fd) }
    }

    func flush() {
        let ready = pending.withLock { bytes -> [UInt8] in
            defer { bytes.removeAll(keepingCapacity: true) }
            return bytes
        }
        if !ready.isEmpty { Self.write(ready, to: fd) }
    }

    /// Writes every buffer now; call before exiting.
    static func flushAll() {
        for buffer in all.withLock({ $0 }) { buffer.flush() }
    }

    /// Starts the thread that writes every buffer once a second.
    static func startFlushing() {
        WorkerThread.startOrExit(name: "log-flush") {
            while true {
                sleep(1)
                flushAll()
            }
        }
    }

    private static func write(_ bytes: [UInt8], to fd: Int32) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n <= 0 { return }
            offset += n
        }
    }
}
