#if canImport(Glibc)
    import Glibc
#endif

/// Waits for a socket to have something to read, in `poll(2)` rather than in a
/// blocking `read(2)`.
///
/// Why it matters: on a Unix socket, every message the peer takes off the queue
/// wakes whoever sleeps on our end with a "writable" event, and a thread blocked
/// in `read` wakes for it, finds nothing and sleeps again — a context switch per
/// message sent and consumed for nothing. A thread waiting in `poll` for input is
/// not woken by that event. A FastCGI worker waiting for nginx's next request on a
/// kept-open connection and a thread waiting for Redis's reply both send just
/// before they wait, so each request paid two such wake-ups (about a third of
/// batchd's context switches a cached status).
public enum ReadableWait {
    /// What the wait ended with.
    public enum Outcome: Equatable, Sendable {
        /// Input, end of stream or an error is waiting: the read will not block.
        case readable
        /// Nothing arrived within the timeout.
        case timedOut
    }

    /// Waits until `fd` has input (or end of stream, or an error: the read then
    /// reports it), at most `timeoutMilliseconds` (negative: without a limit). A
    /// wait interrupted by a signal starts again (batchd's threads take none in
    /// practice, so the limit is not shortened for it).
    public static func wait(fd: Int32, timeoutMilliseconds: Int = -1) -> Outcome {
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while true {
            let ready = poll(&descriptor, 1, Int32(clamping: timeoutMilliseconds))
            if ready > 0 { return .readable }
            if ready == 0 { return .timedOut }
            // A bad descriptor or similar: let the read report it.
            if errno != EINTR { return .readable }
        }
    }
}
