import Foundation

/// One answer: status, headers (names lower-cased) and the body when it was kept.
public struct ClientResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: [UInt8]

    public init(status: Int, headers: [String: String], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The seconds of a `Retry-After` given as a number (the only form batchd sends).
    public var retryAfter: Int? { headers["retry-after"].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    /// The native error envelope's code and message, when the body is one.
    public var envelopeError: (code: String, message: String)? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else { return nil }
        if let code = object["code"] as? String { return (code, object["message"] as? String ?? "") }
        if let error = object["error"] as? [String: Any], let code = error["code"] as? String { return (code, error["message"] as? String ?? "") }
        return nil
    }
}

extension ClientResponse {
    /// The answer when it is a success; the server's refusal as a `ClientError` otherwise.
    public func requireSuccess() throws(ClientError) -> ClientResponse {
        guard (200..<300).contains(status) else {
            let (code, message) = envelopeError ?? ("http_\(status)", String(decoding: body.prefix(200), as: UTF8.self))
            throw .refused(status: status, code: code, message: message)
        }
        return self
    }

    /// The body as a JSON object (empty when it is not one).
    public var object: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:] }

    /// The native envelope's `data` object.
    public var data: [String: Any] { object["data"] as? [String: Any] ?? [:] }
}
