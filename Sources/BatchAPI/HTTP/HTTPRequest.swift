/// An HTTP request as a plain value: what every handler takes. Built by the
/// daemon from FastCGI parameters, or directly by tests without any socket.
public struct HTTPRequest: Sendable {
    /// Upper-case method, e.g. `GET`.
    public var method: String
    /// The decoded path without the query, as nginx normalized it (`DOCUMENT_URI`).
    public var path: String
    public var query: QueryParameters
    /// Header names in lower case.
    public var headers: HTTPHeaders
    public var remoteAddress: String
    /// nginx's `$request_id`, or one made here when the request did not come through nginx.
    public var requestID: String
    public var body: [UInt8]
    /// A body too large to buffer, to be read in pieces (then `body` is empty).
    public var bodyStream: (any RequestBodyStream)?
    /// The body was over the configured limit and was not read.
    public var bodyTooLarge: Bool
    /// The declared body length, useful in a 413's details.
    public var declaredBodyLength: Int
    /// The body ended before its declared length.
    public var bodyTruncated: Bool
    /// Where the request stands with admission (`RequestAdmission`).
    public var admission: RequestAdmission = .none

    public init(
        method: String, path: String, query: QueryParameters = QueryParameters(), headers: HTTPHeaders = [:],
        remoteAddress: String = "", requestID: String = RequestID.make(), body: [UInt8] = [], bodyStream: (any RequestBodyStream)? = nil,
        bodyTooLarge: Bool = false,
        declaredBodyLength: Int = 0, bodyTruncated: Bool = false
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.remoteAddress = remoteAddress
        self.requestID = requestID
        self.body = body
        self.bodyStream = bodyStream
        self.bodyTooLarge = bodyTooLarge
        self.declaredBodyLength = declaredBodyLength
        self.bodyTruncated = bodyTruncated
    }

    public func header(_ name: String) -> String? { headers[name] }

    /// The `Content-Type` header, parsed.
    public var contentType: ContentType { ContentType(header: headers["content-type"]) }
}

/// Request ids made by batchd when nginx did not give one: 32 hex characters, like nginx's.
public enum RequestID {
    public static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() as UInt64
        let low = generator.next() as UInt64
        return hex(high) + hex(low)
    }

    private static func hex(_ value: UInt64) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: 16 - text.count) + text
    }

    /// Accepts ids of 1–64 characters from `[A-Za-z0-9_.-]`; anything else is replaced,
    /// so a request id can never inject into headers or logs.
    public static func sanitized(_ candidate: String?) -> String {
        guard let candidate, !candidate.isEmpty, candidate.utf8.count <= 64,
            candidate.utf8.allSatisfy({ byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
            })
        else { return make() }
        return candidate
    }
}
