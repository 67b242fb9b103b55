/// Everything that can go wrong talking to Redis. Callers treat every case
/// the same way: Redis holds only what can be lost, so they fall back.
public enum CacheError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Not connected, and the next reconnect attempt is not due yet.
    case unavailable(String)
    /// Connecting, sending or reading failed (including timeouts); the connection was dropped.
    case io(String)
    /// Redis answered with an error reply.
    case reply(String)
    /// The reply had a shape the caller did not expect.
    case unexpectedReply(String)

    public var description: String {
        switch self {
        case .unavailable(let m): return "redis unavailable: \(m)"
        case .io(let m): return "redis i/o error: \(m)"
        case .reply(let m): return "redis error reply: \(m)"
        case .unexpectedReply(let m): return "unexpected redis reply: \(m)"
        }
    }
}
