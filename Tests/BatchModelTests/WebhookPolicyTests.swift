import BatchModel
import Testing

/// Webhook URLs are parsed strictly and may not point inside the operator's network.
@Suite struct WebhookPolicyTests {
    @Test func urlsAreParsedIntoTheirParts() throws {
        let target = try WebhookTarget.parse("HTTPS://Hooks.Example.com:8443/a/b?x=1#frag").get()
        #expect(target.secure && target.host == "hooks.example.com" && target.port == 8443 && target.requestTarget == "/a/b?x=1")
        #expect(target.hostHeader == "hooks.example.com:8443")
        let plain = try WebhookTarget.parse("http://example.com").get()
        #expect(!plain.secure && plain.port == 80 && plain.requestTarget == "/" && plain.hostHeader == "example.com")
        let v6 = try WebhookTarget.parse("http://[2606:4700::1111]:8080/h").get()
        #expect(v6.host == "2606:4700::1111" && v6.port == 8080 && v6.literalAddress?.isV6 == true && v6.hostHeader == "[2606:4700::1111]:8080")
        #expect(try WebhookTarget.parse("http://example.com?q=1").get().requestTarget == "/?q=1")
    }

    @Test(arguments: [
        "ftp://example.com/", "example.com/hook", "http://", "http:///path", "http://exa mple.com/", "http://example.com/\u{7}",
        "http://example.com:0/", "http://example.com:65536/", "http://example.com:8x/", "http://[::1/", "http://[nonsense]/", "http://ex_ample.com/",
        "http://user:pw@example.com/", "http://user@example.com/",
    ])
    func badURLsAreRefused(_ url: String) {
        #expect(throws: WebhookRefusal.self) { try WebhookTarget.parse(url).get() }
        #expect(throws: WebhookRefusal.self) { try WebhookPolicy().check(url).get() }
    }

    @Test(arguments: [
        ("http://127.0.0.1:9000/hook", "loopback"), ("http://localhost/", "localhost"), ("http://LOCALHOST./", "localhost"),
        ("http://api.localhost/", "localhost"), ("http://169.254.169.254/latest/meta-data", "link-local"), ("http://10.1.2.3/", "private"),
        ("http://172.16.0.1/", "private"), ("http://192.168.1.1/", "private"), ("http://100.64.0.1/", "shared"), ("http://0.0.0.0/", "unspecified"),
        ("http://224.0.0.1/", "multicast"), ("http://[::1]/", "loopback"), ("http://[fe80::1]/", "link-local"), ("http://[fd00::1]/", "unique-local"),
        ("http://[ff02::1]/", "multicast"), ("http://[::ffff:127.0.0.1]/", "loopback"), ("http://[::]/", "unspecified"),
    ])
    func internalAddressesAreRefusedUnlessAllowed(_ url: String, _ range: String) throws {
        guard case .failure(.internalAddress(let why)) = WebhookPolicy().check(url) else {
            Issue.record("\(url) was not refused")
            return
        }
        #expect(why.contains(range), "\(url): \(why)")
        let host = try WebhookTarget.parse(url).get().host
        #expect((try? WebhookPolicy(allowedHosts: [host]).check(url).get()) != nil)
    }

    @Test func publicAddressesPass() {
        for url in [
            "http://93.184.216.34/", "https://[2606:4700:4700::1111]/", "https://hooks.example.com/x", "http://172.32.0.1/", "http://11.0.0.1/",
        ] {
            #expect((try? WebhookPolicy().check(url).get()) != nil, "\(url)")
        }
    }

    @Test func theAddressConnectedToIsVettedAfterResolution() throws {
        let target = try WebhookTarget.parse("http://hooks.example.com/").get()
        let policy = WebhookPolicy()
        let loopback = IPAddress("127.0.0.1")!
        let internalV6 = IPAddress("fd12::1")!
        let open = IPAddress("93.184.216.34")!
        guard case .failure(.internalAddress(let why)) = policy.address(for: target, resolved: [loopback, internalV6]) else {
            Issue.record("a name resolving only inside was let through")
            return
        }
        #expect(why.contains("127.0.0.1"))
        #expect(try policy.address(for: target, resolved: [loopback, open]).get() == open)
        #expect(try WebhookPolicy(allowedHosts: ["hooks.example.com"]).address(for: target, resolved: [loopback]).get() == loopback)
        #expect(throws: WebhookRefusal.self) { try policy.address(for: target, resolved: []).get() }
    }
}
