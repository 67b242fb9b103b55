public import Logging

/// swift-log's handler for batchd's processes: one logfmt line per event (`LogLine`)
/// into the logger's `LogBuffer`, which writes it to a file descriptor.
///
/// Why not swift-log's `StreamLogHandler`: it formats time through `localtime_r`,
/// which stats /etc/localtime on every line, and serializes writers on the stdio
/// lock; on a request path that logs every request both show up in profiles. The
/// line is written as bytes straight into the buffer, and the logger's own metadata
/// (a request's id and tenant) is kept as a list sorted by key, not a dictionary
/// hashed, copied and sorted again for every line.
public struct LogLineHandler: LogHandler {
    /// What a logger's copies share and hardly ever change, behind one reference: the
    /// handler then fits in a logger's storage without a box of its own (a request's
    /// logger is a copy with the request's metadata, made for every request).
    private final class Sink: Sendable {
        let label: String
        let buffer: LogBuffer
        let provider: Logger.MetadataProvider?

        init(label: String, buffer: LogBuffer, provider: Logger.MetadataProvider?) {
            self.label = label
            self.buffer = buffer
            self.provider = provider
        }
    }

    private var sink: Sink
    /// The logger's metadata, sorted by key.
    private var fields: [(key: String, value: Logger.MetadataValue)] = []
    public var logLevel: Logger.Level

    public init(label: String, fd: Int32 = 2, level: Logger.Level) {
        self.init(label: label, level: level, buffer: LogBuffer.make(fd: fd))
    }

    public init(label: String, level: Logger.Level, buffer: LogBuffer) {
        self.sink = Sink(label: label, buffer: buffer, provider: nil)
        self.logLevel = level
    }

    public var label: String { sink.label }

    public var metadataProvider: Logger.MetadataProvider? {
        get { sink.provider }
        set { sink = Sink(label: sink.label, buffer: sink.buffer, provider: newValue) }
    }

    public var metadata: Logger.Metadata {
        get { Logger.Metadata(fields.map { ($0.key, $0.value) }, uniquingKeysWith: { _, later in later }) }
        set { fields = newValue.map { (key: $0.key, value: $0.value) }.sorted { $0.key < $1.key } }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { fields.first { $0.key == key }?.value }
        set {
            let index = fields.firstIndex { !($0.key < key) } ?? fields.endIndex
            if index < fields.endIndex, fields[index].key == key {
                if let newValue { fields[index].value = newValue } else { fields.remove(at: index) }
            } else if let newValue {
                // A request's logger gets two (request id, tenant): room for them at once.
                if fields.isEmpty { fields.reserveCapacity(4) }
                fields.insert((key, newValue), at: index)
            }
        }
    }

    public func log(event: LogEvent) {
        let now = LogClock.nowMilliseconds()
        sink.buffer.append(flushNow: event.level >= .notice) { bytes, clock in
            LogLine.append(
                to: &bytes, clock: &clock, epochMilliseconds: now, level: event.level, label: sink.label,
                message: event.message.description, fields: fields, event: event.metadata)
        }
    }
}
