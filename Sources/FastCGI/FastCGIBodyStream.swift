import CFastCGI

/// The body of a request too large to read whole, read by the responder in
/// pieces straight from libfcgi's stream.
///
/// Valid only inside `FastCGIResponder.respond(to:)`, on the worker thread that
/// called it (hence `@unchecked Sendable`): whatever is left unread afterwards is
/// discarded by the server so a kept-open connection stays in step.
public final class FastCGIBodyStream: @unchecked Sendable {
    private let stream: UnsafeMutablePointer<FCGX_Stream>?
    /// Bytes the request declared and that have not been read yet.
    public private(set) var remaining: Int

    init(stream: UnsafeMutablePointer<FCGX_Stream>?, length: Int) {
        self.stream = stream
        self.remaining = length
    }

    /// Reads up to `buffer.count` bytes; 0 at the end of the body (or if the client went away).
    public func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        guard remaining > 0, let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        let wanted = Int32(min(buffer.count, remaining, 1 << 20))
        let n = FCGX_GetStr(base.assumingMemoryBound(to: CChar.self), wanted, stream)
        guard n > 0 else {
            remaining = 0
            return 0
        }
        remaining -= Int(n)
        return Int(n)
    }
}
