#if canImport(Glibc)
    import Glibc
#endif

/// An IPv4 or IPv6 address, and whether a webhook may be sent to it.
public struct IPAddress: Sendable, Equatable, CustomStringConvertible {
    /// 4 bytes (IPv4) or 16 (IPv6), network order.
    public let bytes: [UInt8]

    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// Dotted IPv4 or textual IPv6 (no brackets, no zone), via inet_pton.
    public init?(_ text: String) {
        guard text.utf8.count <= 64, !text.utf8.contains(0) else { return nil }
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            bytes = withUnsafeBytes(of: &v4) { Array($0) }
            return
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        bytes = withUnsafeBytes(of: &v6) { Array($0) }
    }

    public var isV6: Bool { bytes.count == 16 }

    public var description: String {
        var buffer = [CChar](repeating: 0, count: 64)
        var copy = bytes
        _ = inet_ntop(isV6 ? AF_INET6 : AF_INET, &copy, &buffer, socklen_t(buffer.count))
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Why a webhook may not go to this address (loopback, private, link-local,
    /// unique-local, multicast, unspecified and other reserved ranges), or nil
    /// for a public address. IPv4-mapped and -compatible IPv6 addresses are judged as IPv4.
    public var internalRange: String? {
        if isV6 {
            let b = bytes
            if b.allSatisfy({ $0 == 0 }) { return "unspecified" }
            if b[0..<15].allSatisfy({ $0 == 0 }), b[15] == 1 { return "loopback" }
            // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (the old compatible form) reach the IPv4 address.
            let mapped = b[10] == 0xFF && b[11] == 0xFF
            let compatible = b[10] == 0 && b[11] == 0
            if b[0..<10].allSatisfy({ $0 == 0 }), mapped || compatible {
                return IPAddress(bytes: Array(b[12...]))?.internalRange.map { "IPv4-mapped \($0)" }
            }
            if b[0] == 0xFF { return "multicast" }
            if b[0] & 0xFE == 0xFC { return "unique-local" }
            if b[0] == 0xFE, b[1] & 0xC0 == 0x80 { return "link-local" }
            if b[0] == 0xFE, b[1] & 0xC0 == 0xC0 { return "site-local" }
            if b[0] == 0x20, b[1] == 0x01, b[2] == 0x0D, b[3] == 0xB8 { return "documentation" }
            if b[0] == 0x00, b[1] == 0x64, b[2] == 0xFF, b[3] == 0x9B {
                return IPAddress(bytes: Array(b[12...]))?.internalRange.map { "NAT64 \($0)" }
            }
            return nil
        }
        let (a, b, c) = (bytes[0], bytes[1], bytes[2])
        switch a {
        case 0: return "unspecified"
        case 10: return "private"
        case 127: return "loopback"
        case 100 where b & 0xC0 == 64: return "shared (carrier-grade NAT)"
        case 169 where b == 254: return "link-local"
        case 172 where b & 0xF0 == 16: return "private"
        case 192 where b == 168: return "private"
        case 192 where b == 0 && c == 0: return "IETF protocol assignments"
        case 192 where b == 0 && c == 2, 198 where b == 51 && c == 100, 203 where b == 0 && c == 113: return "documentation"
        case 198 where b & 0xFE == 18: return "benchmarking"
        case 224...239: return "multicast"
        case 240...255: return "reserved"
        default: return nil
        }
    }
}
