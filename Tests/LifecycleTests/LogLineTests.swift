import Logging
import Testing

@testable import Lifecycle

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct LogLineTests {
    private func timestamp(_ milliseconds: Int64, clock: inout LogClock) -> String {
        var bytes: [UInt8] = []
        clock.append(epochMilliseconds: milliseconds, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// UTC, always with milliseconds; the part up to the second is made again when the second changes.
    @Test func timestampsAreUTCWithMillisecondsAcrossSeconds() {
        var clock = LogClock()
        #expect(timestamp(1_764_883_000_123, clock: &clock) == "2025-12-04T21:16:40.123Z")
        #expect(timestamp(1_764_883_000_999, clock: &clock) == "2025-12-04T21:16:40.999Z")
        #expect(timestamp(1_764_883_001_000, clock: &clock) == "2025-12-04T21:16:41.000Z")
        #expect(timestamp(951_782_400_007, clock: &clock) == "2000-02-29T00:00:00.007Z")
        #expect(timestamp(0, clock: &clock) == "1970-01-01T00:00:00.000Z")
        #expect(timestamp(-5, clock: &clock) == "1970-01-01T00:00:00.000Z")
    }

    private func line(
        fields: [(key: String, value: Logger.MetadataValue)] = [], event: Logger.Metadata? = nil, message: String = "request"
    ) -> String {
        var bytes: [UInt8] = []
        var clock = LogClock()
        LogLine.append(
            to: &bytes, clock: &clock, epochMilliseconds: 1_764_883_000_123, level: .info, label: "batchd.api", message: message, fields: fields,
            event: event)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The logger's fields in key order, then the event's in key order; a key the event
    /// sets again is the event's.
    @Test func fieldsComeSortedTheLoggersFirstTheEventsWinning() {
        #expect(
            line(
                fields: [("request_id", "r1"), ("tenant", "t1")],
                event: ["us": "4", "method": "GET", "status": "200", "path": "/v1/batches/b"])
                == "ts=2025-12-04T21:16:40.123Z level=info label=batchd.api msg=request request_id=r1 tenant=t1 method=GET path=/v1/batches/b status=200 us=4\n"
        )
        #expect(
            line(fields: [("request_id", "r1"), ("tenant", "t1")], event: ["tenant": "t2", "a": "1"])
                == "ts=2025-12-04T21:16:40.123Z level=info label=batchd.api msg=request request_id=r1 a=1 tenant=t2\n")
        #expect(line() == "ts=2025-12-04T21:16:40.123Z level=info label=batchd.api msg=request\n")
        #expect(line(event: [:]) == line())
        // Values that are not strings are written as they describe themselves.
        #expect(line(event: ["n": .stringConvertible(42), "list": ["a", "b"]]).hasSuffix(#" msg=request list="[\"a\", \"b\"]" n=42"# + "\n"))
    }

    /// Every value parses back: quoted and escaped when it has a space, quote, `=`,
    /// control character or nothing at all; anything else as it is, UTF-8 included.
    @Test func valuesThatWouldNotParseAreQuoted() {
        func value(_ text: String) -> String {
            var bytes: [UInt8] = []
            LogLine.appendValue(text, to: &bytes)
            return String(decoding: bytes, as: UTF8.self)
        }
        #expect(value("plain/path?x") == "plain/path?x")
        #expect(value("naïve→") == "naïve→")
        #expect(value("") == #""""#)
        #expect(value("two words") == #""two words""#)
        #expect(value("a=b") == #""a=b""#)
        #expect(value(#"say "hi" \ bye"#) == #""say \"hi\" \\ bye""#)
        #expect(value("line\nnext\r\tend") == #""line\nnext\r\tend""#)
        #expect(value("bell\u{7}") == #""bell?""#)
        #expect(value("back\\slash") == "back\\slash")
    }

    /// Through swift-log: the request's metadata set on a copy of the logger, sorted
    /// into the line; lines below notice wait for a flush, a notice goes out at once
    /// after them.
    @Test func handlerBuffersRequestLinesAndWritesNoticesAtOnce() throws {
        var fds: [Int32] = [0, 0]
        try #require(pipe(&fds) == 0)
        defer {
            close(fds[0])
            close(fds[1])
        }
        _ = fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK)
        func drained() -> String {
            var bytes = [UInt8](repeating: 0, count: 1 << 16)
            let n = read(fds[0], &bytes, bytes.count)
            return n > 0 ? String(decoding: bytes[..<n], as: UTF8.self) : ""
        }
        let buffer = LogBuffer.make(fd: fds[1])
        let base = Logger(label: "batchd.api") { label in LogLineHandler(label: label, level: .info, buffer: buffer) }
        var request = base
        request[metadataKey: "tenant"] = "ten-1"
        request[metadataKey: "request_id"] = "req-1"
        #expect(request[metadataKey: "request_id"] == "req-1")
        #expect(request.handler.metadata == ["tenant": "ten-1", "request_id": "req-1"])
        #expect(base[metadataKey: "request_id"] == nil)
        request.debug("hidden")
        request.info("request", metadata: ["status": "200", "method": "GET"])
        #expect(drained() == "")
        request.notice("slow")
        let lines = drained().split(separator: "\n")
        try #require(lines.count == 2)
        #expect(lines[0].hasSuffix(" level=info label=batchd.api msg=request request_id=req-1 tenant=ten-1 method=GET status=200"))
        #expect(lines[1].hasSuffix(" level=notice label=batchd.api msg=slow request_id=req-1 tenant=ten-1"))
        request.info("later")
        buffer.flush()
        #expect(drained().hasSuffix(" msg=later request_id=req-1 tenant=ten-1\n"))
        // Removing a key, and replacing the whole set.
        request[metadataKey: "tenant"] = nil
        #expect(request.handler.metadata == ["request_id": "req-1"])
        request.handler.metadata = ["b": "2", "a": "1"]
        request.notice("set")
        #expect(drained().hasSuffix(" msg=set a=1 b=2\n"))
    }

    /// The handler fits in an existential's inline buffer: a request's copy of a logger
    /// then allocates no box for it.
    @Test func handlerFitsInlineInALogger() {
        #expect(MemoryLayout<LogLineHandler>.size <= 3 * MemoryLayout<Int>.size)
    }
}
