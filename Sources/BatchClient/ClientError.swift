/// Why a client command failed, with the exit status it ends the process with
/// (documented in the README and in `--help`).
public enum ClientError: Error, Sendable, CustomStringConvertible {
    /// No URL or key, or a bad flag value: exit 64 (EX_USAGE).
    case usage(String)
    /// The server could not be reached, or answered what a client cannot use: exit 69.
    case unavailable(String)
    /// The server refused the request (4xx/5xx after retries), with its envelope's message: exit 65.
    case refused(status: Int, code: String, message: String)
    /// A local file could not be read or written: exit 74 (EX_IOERR).
    case io(String)

    public var exitCode: Int32 {
        switch self {
        case .usage: 64
        case .unavailable: 69
        case .refused: 65
        case .io: 74
        }
    }

    public var description: String {
        switch self {
        case .usage(let text), .unavailable(let text), .io(let text): text
        case .refused(let status, let code, let message): "HTTP \(status) \(code): \(message)"
        }
    }
}
