#if canImport(Glibc)
    import BatchCodecs
    import Glibc
#endif

/// A webhook URL as batchd will use it: `http` or `https`, a host (a name, an
/// IPv4 address or a bracketed IPv6 one), an optional port, and the path and
/// query to request. Parsed by hand, total and linear: anything else, including
/// credentials (`user:pw@`), spaces or control characters, is refused with why.
public struct WebhookTarget: Sendable, Equatable {
    public var secure: Bool
    /// Lower-cased; an IPv6 literal without its brackets.
    public var host: String
    public var port: Int
    /// Path and query, at least `/`.
    public var requestTarget: String
    /// The host as an address, when it is written as one.
    public var literalAddress: IPAddress?

    public static let maxLength = 2048

    /// The bytes RFC 3986 allows in a URI (`%` starts an escape, checked apart).
    static func isURICharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): return true
        default: return Array("-._~:/?#[]@!$&'()*+,;=%".utf8).contains(byte)
        }
    }

    /// The target of `url`, or why it is not one a webhook may use.
    public static func parse(_ url: String) -> Result<WebhookTarget, WebhookRefusal> {
        let bytes = Array(url.utf8)
        guard bytes.count <= maxLength else { return .failure(.malformed("longer than \(maxLength) characters")) }
        guard !bytes.contains(where: { $0 <= 0x20 || $0 == 0x7F }) else { return .failure(.malformed("contains a space or a control character")) }
        // RFC 3986's characters only: anything else must come percent-encoded.
        guard bytes.allSatisfy(Self.isURICharacter) else { return .failure(.malformed("contains a character a URL must percent-encode")) }
        // A '%' starts a percent-encoded byte: two hex digits follow.
        for (at, byte) in bytes.enumerated() where byte == UInt8(ascii: "%") {
            guard at + 2 < bytes.count, Hex.digitValue(bytes[at + 1]) != nil, Hex.digitValue(bytes[at + 2]) != nil else {
                return .failure(.malformed("has a '%' not followed by two hex digits"))
            }
        }
        // Brackets belong to an IPv6 host only: none after the authority.
        if let colon = bytes.firstIndex(of: UInt8(ascii: ":")), bytes[colon...].starts(with: Array("://".utf8)) {
            let authority = bytes[(colon + 3)...]
            if let pathStart = authority.firstIndex(where: { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") }),
                bytes[pathStart...].contains(where: { $0 == UInt8(ascii: "[") || $0 == UInt8(ascii: "]") })
            {
                return .failure(.malformed("contains a bracket after the host"))
            }
        }
        let lower = String(decoding: bytes.prefix(8), as: UTF8.self).lowercased()
        let secure: Bool
        let rest: ArraySlice<UInt8>
        if lower.hasPrefix("https://") {
            (secure, rest) = (true, bytes[8...])
        } else if lower.hasPrefix("http://") {
            (secure, rest) = (false, bytes[7...])
        } else {
            return .failure(.malformed("must be an http or https URL"))
        }
        let authorityEnd = rest.firstIndex(where: { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") }) ?? rest.endIndex
        let authority = rest[rest.startIndex..<authorityEnd]
        guard !authority.contains(UInt8(ascii: "@")) else { return .failure(.credentials) }
        var target = String(decoding: rest[authorityEnd...].prefix(while: { $0 != UInt8(ascii: "#") }), as: UTF8.self)
        if target.isEmpty || target.hasPrefix("?") { target = "/" + target }
        var hostPart = authority
        var port = secure ? 443 : 80
        if authority.first == UInt8(ascii: "[") {
            guard let close = authority.firstIndex(of: UInt8(ascii: "]")) else { return .failure(.malformed("an IPv6 host needs its closing ']'")) }
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.first == UInt8(ascii: ":"), let parsed = parsePort(after.dropFirst()) else { return .failure(.malformed("bad port")) }
                port = parsed
            }
            guard let address = IPAddress(String(decoding: hostPart, as: UTF8.self)), address.isV6 else {
                return .failure(.malformed("bad IPv6 address"))
            }
            return .success(WebhookTarget(secure: secure, host: address.description, port: port, requestTarget: target, literalAddress: address))
        }
        if let colon = authority.firstIndex(of: UInt8(ascii: ":")) {
            guard let parsed = parsePort(authority[authority.index(after: colon)...]) else { return .failure(.malformed("bad port")) }
            port = parsed
            hostPart = authority[authority.startIndex..<colon]
        }
        let host = String(decoding: hostPart, as: UTF8.self).lowercased()
        guard !host.isEmpty, host.utf8.count <= 253,
            host.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") })
        else { return .failure(.malformed("the host must be a name or an address")) }
        return .success(WebhookTarget(secure: secure, host: host, port: port, requestTarget: target, literalAddress: IPAddress(host)))
    }

    private static func parsePort(_ digits: ArraySlice<UInt8>) -> Int? {
        guard (1...5).contains(digits.count), digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        let value = digits.reduce(0) { $0 * 10 + Int($1 - 0x30) }
        return (1...65535).contains(value) ? value : nil
    }

    /// The `Host` header: the host, with the port when it is not the scheme's own.
    public var hostHeader: String {
        let name = literalAddress?.isV6 == true ? "[\(host)]" : host
        return port == (secure ? 443 : 80) ? name : "\(name):\(port)"
    }
}

/// Why batchd will not deliver to a webhook URL; `description` is safe to show the tenant.
public enum WebhookRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    case malformed(String)
    case credentials
    /// The host is, or resolves to, an address inside the operator's network.
    case internalAddress(String)

    public var description: String {
        switch self {
        case .malformed(let why): return "must be an http or https URL: \(why)"
        case .credentials: return "must not carry credentials (user:password@)"
        case .internalAddress(let why): return "points inside the server's network (\(why)); only public addresses are allowed"
        }
    }
}
