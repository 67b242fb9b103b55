public import BatchCodecs
import BatchModel

/// An HTTP response as a plain value: what every handler returns.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// A body produced while it is sent (`body` is then ignored).
    public var stream: ResponseBodyStream?

    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = [], stream: ResponseBodyStream? = nil) {
        self.status = status
        self.headers = headers
        self.body = body
        self.stream = stream
    }

    public static let jsonContentType = "application/json; charset=utf-8"

    /// A JSON response. Every batchd response is JSON, errors included.
    public static func json(_ status: Int, _ document: JSONValue, headers: [(name: String, value: String)] = []) -> HTTPResponse {
        HTTPResponse(status: status, headers: jsonHeaders(headers), body: JSONWriter.bytes(document))
    }

    /// `Content-Type: application/json` and `others`, with room for the headers every
    /// answer gets on its way out (request id, rate limit) so adding them does not
    /// grow the list again.
    public static func jsonHeaders(_ others: [(name: String, value: String)]) -> [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = []
        headers.reserveCapacity(others.count + 8)
        headers.append(("Content-Type", jsonContentType))
        headers += others
        return headers
    }

    /// The first value of a header, case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first(where: { Self.sameName($0.name, name) })?.value
    }

    public mutating func setHeader(_ name: String, _ value: String) {
        if headers.contains(where: { Self.sameName($0.name, name) }) { headers.removeAll(where: { Self.sameName($0.name, name) }) }
        headers.append((name, value))
    }

    /// ASCII case-insensitive equality of header names, without allocating.
    static func sameName(_ a: String, _ b: String) -> Bool {
        guard a.utf8.count == b.utf8.count else { return false }
        // Over both names' bytes in place (every answer compares each header it adds
        // with those it has; a zip of the two views cost more than the rest of it).
        let same = a.utf8.withContiguousStorageIfAvailable { x in
            b.utf8.withContiguousStorageIfAvailable { y in
                for index in 0..<x.count where !sameLetter(x[index], y[index]) { return false }
                return true
            }
        }
        if let same = same ?? nil { return same }
        return zip(a.utf8, b.utf8).allSatisfy(sameLetter)
    }

    private static func sameLetter(_ x: UInt8, _ y: UInt8) -> Bool {
        x == y || (x | 0x20 == y | 0x20 && (x | 0x20) >= 0x61 && (x | 0x20) <= 0x7A)
    }
}
