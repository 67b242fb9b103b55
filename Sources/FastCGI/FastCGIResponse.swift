/// What a responder hands back: status, headers and a body, written as a CGI
/// response (`Status:` line, headers, blank line, body) in one buffer; or, with
/// a `stream`, the head and then the body as the stream produces it.
public struct FastCGIResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// The body, produced while it is sent (`body` is then ignored).
    public var stream: FastCGIBodyProducer?

    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = [], stream: FastCGIBodyProducer? = nil) {
        self.status = status
        self.headers = headers
        self.body = body
        self.stream = stream
    }

    /// The bytes sent to nginx before a stream, or the whole answer. Without a
    /// stream `Content-Length` is always added, so nginx never has to chunk or
    /// close to delimit the body; a stream's length is the one its headers give,
    /// if any.
    /// The response as one byte sequence: `head()` followed by the body (unless streamed).
    public func encoded() -> [UInt8] {
        var out = head()
        if stream == nil { out += body }
        return out
    }

    /// The status line, the headers, `Content-Length` (unless streamed) and the blank
    /// line. Sent apart from the body, so that a large body is never copied into a
    /// buffer of its own.
    public func head() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64 + headers.count * 48)
        writeHead { piece in
            out += piece
            return true
        }
        return out
    }

    /// `head()` in pieces, each handed to `put` in turn (false from it stops): the
    /// server puts them straight into libfcgi's buffer, with no array of the head made
    /// (every answer has one), and no string interpolation either (a number alone is
    /// a string short enough to need no allocation). False when `put` refused a piece.
    @discardableResult
    public func writeHead(_ put: (UnsafeRawBufferPointer) -> Bool) -> Bool {
        func piece(_ text: String) -> Bool {
            var text = text
            return text.withUTF8 { put(UnsafeRawBufferPointer($0)) }
        }
        guard piece("Status: "), piece(String(status)), piece(" "), piece(Self.reason(for: status)), piece("\r\n") else { return false }
        for header in headers {
            guard piece(header.name), piece(": ") else { return false }
            // A header value must not smuggle in another header.
            if header.value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A }) {
                guard piece(String(decoding: header.value.utf8.filter { $0 != 0x0D && $0 != 0x0A }, as: UTF8.self)) else { return false }
            } else {
                guard piece(header.value) else { return false }
            }
            guard piece("\r\n") else { return false }
        }
        if stream == nil {
            guard piece("Content-Length: "), piece(String(body.count)), piece("\r\n") else { return false }
        }
        return piece("\r\n")
    }

    static func reason(for status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 201: return "Created"
        case 202: return "Accepted"
        case 204: return "No Content"
        case 206: return "Partial Content"
        case 304: return "Not Modified"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 409: return "Conflict"
        case 410: return "Gone"
        case 413: return "Payload Too Large"
        case 415: return "Unsupported Media Type"
        case 416: return "Range Not Satisfiable"
        case 429: return "Too Many Requests"
        case 500: return "Internal Server Error"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        default: return "Status"
        }
    }
}
