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
    /// buffer of its own (the server hands both to libfcgi's one buffer in turn), and
    /// built without string interpolation (a number alone is a string short enough to
    /// need no allocation): every answer makes one.
    public func head() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64 + headers.count * 48)
        out += "Status: ".utf8
        out += String(status).utf8
        out.append(UInt8(ascii: " "))
        out += Self.reason(for: status).utf8
        out += "\r\n".utf8
        for header in headers {
            out += header.name.utf8
            out += ": ".utf8
            // A header value must not smuggle in another header.
            if header.value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A }) {
                for byte in header.value.utf8 where byte != 0x0D && byte != 0x0A { out.append(byte) }
            } else {
                out += header.value.utf8
            }
            out += "\r\n".utf8
        }
        if stream == nil {
            out += "Content-Length: ".utf8
            out += String(body.count).utf8
            out += "\r\n".utf8
        }
        out += "\r\n".utf8
        return out
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
