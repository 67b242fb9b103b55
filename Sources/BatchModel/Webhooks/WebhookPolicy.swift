/// Where webhooks may go: public addresses only, unless the operator's
/// allow-list names the host (`--webhook-allow-hosts`). Checked twice: on the
/// URL when a batch is created (a literal internal address or `localhost` is a
/// 400), and on the address actually connected to when delivering, after DNS.
public struct WebhookPolicy: Sendable, Equatable {
    /// Host names or addresses (lower-case, IPv6 without brackets) exempt from the address check.
    public var allowedHosts: Set<String>

    public init(allowedHosts: Set<String> = []) {
        self.allowedHosts = Set(allowedHosts.map { $0.lowercased().trimmingBrackets })
    }

    public func allows(_ target: WebhookTarget) -> Bool { allowedHosts.contains(target.host) }

    /// The URL's target, or why a batch may not name it.
    public func check(_ url: String) -> Result<WebhookTarget, WebhookRefusal> {
        WebhookTarget.parse(url).flatMap { target in
            if allows(target) { return .success(target) }
            let name = target.host.hasSuffix(".") ? String(target.host.dropLast()) : target.host
            if name == "localhost" || name.hasSuffix(".localhost") { return .failure(.internalAddress("localhost")) }
            if let range = target.literalAddress?.internalRange { return .failure(.internalAddress("\(target.host) is \(range)")) }
            return .success(target)
        }
    }

    /// The address to connect to among those `target`'s host resolved to: the
    /// first public one (any, for an allowed host), or why there is none.
    public func address(for target: WebhookTarget, resolved: [IPAddress]) -> Result<IPAddress, WebhookRefusal> {
        guard let first = resolved.first else { return .failure(.malformed("\(target.host) does not resolve")) }
        if allows(target) { return .success(first) }
        if let open = resolved.first(where: { $0.internalRange == nil }) { return .success(open) }
        return .failure(.internalAddress("\(target.host) resolves to \(first), \(first.internalRange ?? "internal")"))
    }
}

extension String {
    fileprivate var trimmingBrackets: String {
        hasPrefix("[") && hasSuffix("]") ? String(dropFirst().dropLast()) : self
    }
}
