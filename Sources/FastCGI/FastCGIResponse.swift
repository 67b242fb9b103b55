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
    public func encoded() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(128 + headers.count * 40 + (stream == nil ? body.count : 0))
        out.append(contentsOf: "Status: \(status) \(Self.reason(for: status))\r\n".utf8)
        for header in headers {
            out.append(contentsOf: header.name.utf8)
            out.append(contentsOf: ": ".utf8)
            // A header value must not smuggle in another header.
            if header.value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A }) {
                for byte in header.value.utf8 where byte != 0x0D && byte != 0x0A { out.append(byte) }
            } else {
                out.append(contentsOf: header.value.utf8)
            }
            out.append(contentsOf: "\r\n".utf8)
        }
        guard stream == nil else {
            out.append(contentsOf: "\r\n".utf8)
            return out
        }
        out.append(contentsOf: "Content-Length: \(body.count)\r\n\r\n".utf8)
        out.append(contentsOf: body)
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
