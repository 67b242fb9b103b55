#if canImport(Glibc)
    import Glibc
#endif

/// Whole reads and writes on pipes, as the inspection helpers and batchd use
/// them: interrupted calls resumed, short transfers continued.
public enum PipeIO {
    public enum ReadResult: Equatable, Sendable {
        case bytes([UInt8])
        /// The other end closed (or failed) before `count` bytes came.
        case closed
        /// `keepWaiting` said to give up.
        case abandoned
    }

    /// Writes all of `bytes`; false when the reader is gone.
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { buffer -> Bool in
            var offset = 0
            while offset < buffer.count {
                let n = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0, errno == EINTR { continue }
                if n <= 0 { return false }
                offset += n
            }
            return true
        }
    }

    /// Reads exactly `count` bytes. With `keepWaiting`, waits in ticks of
    /// `tickMilliseconds` and asks it after each quiet tick whether to go on.
    public static func read(_ fd: Int32, count: Int, tickMilliseconds: Int32 = 1000, keepWaiting: (() -> Bool)? = nil) -> ReadResult {
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            if let keepWaiting {
                var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                let ready = poll(&poller, 1, tickMilliseconds)
                if ready < 0, errno == EINTR { continue }
                if ready == 0 {
                    if !keepWaiting() { return .abandoned }
                    continue
                }
            }
            let n = bytes.withUnsafeMutableBytes { buffer in Glibc.read(fd, buffer.baseAddress! + filled, count - filled) }
            if n < 0, errno == EINTR { continue }
            if n <= 0 { return .closed }
            filled += n
        }
        return .bytes(bytes)
    }
}
