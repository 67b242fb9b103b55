import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Log bytes waiting to be written to one file descriptor. Each logger has its
/// own, so request threads never wait on each other; the lock is contended only
/// by the once-a-second flusher.
///
/// Lines below `notice` (one a request) wait here and are written in blocks of up to
/// 32 KB at least once a second by `startFlushing()`, as nginx's `access_log … buffer=
/// flush=` does: one syscall per request cost a quarter of the request rate. Notices,
/// warnings and errors are written at once, after anything buffered before them. At
/// most a second of request lines is lost on a crash.
public final class LogBuffer: Sendable {
    static let flushThreshold = 32 << 10
    private static let all = Mutex<[LogBuffer]>([])

    private struct Pending {
        var bytes: [UInt8] = []
        var clock = LogClock()
    }

    let fd: Int32
    private let pending = Mutex<Pending>(Pending())

    private init(fd: Int32) { self.fd = fd }

    /// A buffer for `fd`, flushed by `flushAll()` and the flusher thread.
    public static func make(fd: Int32) -> LogBuffer {
        let buffer = LogBuffer(fd: fd)
        all.withLock { $0.append(buffer) }
        return buffer
    }

    /// Lets `line` append one line to what waits (with the buffer's clock for its
    /// timestamp), then writes it all out if `flushNow` or the threshold is passed.
    public func append(flushNow: Bool, _ line: (inout [UInt8], inout LogClock) -> Void) {
        let ready: [UInt8]? = pending.withLock { pending in
            line(&pending.bytes, &pending.clock)
            guard flushNow || pending.bytes.count >= Self.flushThreshold else { return nil }
            defer { pending.bytes.removeAll(keepingCapacity: true) }
            return pending.bytes
        }
        if let ready { Self.write(ready, to: fd) }
    }

    /// Writes out what waits.
    public func flush() {
        let ready = pending.withLock { pending -> [UInt8] in
            defer { pending.bytes.removeAll(keepingCapacity: true) }
            return pending.bytes
        }
        if !ready.isEmpty { Self.write(ready, to: fd) }
    }

    /// Writes every buffer now; call before exiting.
    public static func flushAll() {
        for buffer in all.withLock({ $0 }) { buffer.flush() }
    }

    /// Starts the thread that writes every buffer once a second.
    public static func startFlushing() {
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
