import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Webhooks cannot be aimed inside the operator's network, follow no redirect,
/// and a slow receiver delays only its own tenant. Every receiver here listens
/// on 127.0.0.1, reached only where the test allow-lists it; nothing is ever
/// sent to another address.
@Suite(.serialized) struct WebhookTests {
    /// A Python receiver on 127.0.0.1: `behaviour` is the body of its do_POST.
    static func receiver(_ stack: TestStack, port: Int, name: String, behaviour: String) throws -> ChildProcess {
        let script = """
            import http.server, time
            class H(http.server.BaseHTTPRequestHandler):
                def do_POST(self):
                    self.rfile.read(int(self.headers["Content-Length"]))
                    open("\(stack.directory)/\(name).hits", "a").write("hit\\n")
            \(behaviour.split(separator: "\n").map { "        " + $0 }.joined(separator: "\n"))
                def log_message(self, *a): pass
            http.server.ThreadingHTTPServer(("127.0.0.1", \(port)), H).serve_forever()
            """
        let process = try ChildProcess.spawn("/usr/bin/python3", ["-c", script], outputPath: stack.logDirectory + "/\(name).log")
        try stack.waitUntil(seconds: 5, "receiver \(name)") {
            (try? HTTPClient.send(port: port, method: "GET", path: "/", timeoutSeconds: 1)) != nil
        }
        return process
    }

    static func hits(_ stack: TestStack, _ name: String) -> Int {
        ((try? String(contentsOfFile: "\(stack.directory)/\(name).hits", encoding: .utf8)) ?? "").split(separator: "\n").count
    }

    func notification(_ stack: TestStack, _ id: String, key: String) -> [String: Any] {
        let result = try? stack.get("/v1/batches/\(id)", key: key)
        return (result?.json["data"] as? [String: Any])?["notification"] as? [String: Any] ?? [:]
    }

    /// Creates a batch of the client key's tenant that notifies `url`; its notification
    /// once the first delivery attempt is recorded.
    func firstAttempt(_ stack: TestStack, url: String, _ what: String) throws -> [String: Any] {
        let created = try create(stack, key: stack.clientKey, url: url)
        #expect(created.status == 201, "\(created.text)")
        let id = try #require((created.json["data"] as? [String: Any])?["batch_id"] as? String)
        var seen: [String: Any] = [:]
        try stack.waitUntil(seconds: 20, what) {
            seen = notification(stack, id, key: stack.clientKey)
            return (seen["attempts"] as? Int ?? 0) >= 1
        }
        return seen
    }

    func create(_ stack: TestStack, key: String, url: String) throws -> HTTPResult {
        try stack.sendJSON(
            "POST", "/v1/batches", key: key, #"{"processor":"noop","items":[{"content":"x"}],"configuration":{"notification_url":"\#(url)"}}"#)
    }

    @Test func internalTargetsAreRefused() throws {
        let stack = try TestStack()
        defer { stack.stop() }
        let port = try TestStack.freePort()
        let receiver = try Self.receiver(stack, port: port, name: "inside", behaviour: "self.send_response(204); self.end_headers()")
        defer {
            receiver.signal(SIGKILL)
            _ = receiver.wait(seconds: 5)
        }
        for url in [
            "http://127.0.0.1:\(port)/hook", "http://localhost:\(port)/", "http://169.254.169.254/latest/meta-data/", "http://[::1]:\(port)/",
            "http://10.0.0.1/", "http://user:pw@example.com/", "ftp://example.com/",
        ] {
            let refused = try create(stack, key: stack.clientKey, url: url)
            #expect(refused.status == 400, "\(url): \(refused.text)")
            #expect((refused.json["details"] as? [String: Any])?["field"] as? String == "configuration.notification_url", "\(url)")
        }
        // A name is checked on the address it resolves to, when delivering: this
        // machine's own name resolves inside, so nothing is sent.
        var name = [CChar](repeating: 0, count: 256)
        gethostname(&name, 255)
        let host = String(decoding: name.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let seen = try firstAttempt(stack, url: "http://\(host):\(port)/hook", "the refused delivery")
        #expect((seen["last_error"] as? String)?.contains("refused") == true, "\(seen)")
        #expect(Self.hits(stack, "inside") == 0)
    }

    @Test func redirectsAreNotFollowedAndSlowReceiversDelayOnlyTheirTenant() throws {
        var options = TestStack.Options()
        options.extraArguments = ["--webhook-allow-hosts", "127.0.0.1"]
        let stack = try TestStack(options)
        defer { stack.stop() }
        let (slowPort, fastPort, redirectPort, targetPort) = (
            try TestStack.freePort(), try TestStack.freePort(), try TestStack.freePort(), try TestStack.freePort()
        )
        let receivers = [
            try Self.receiver(stack, port: slowPort, name: "slow", behaviour: "time.sleep(6); self.send_response(204); self.end_headers()"),
            try Self.receiver(stack, port: fastPort, name: "fast", behaviour: "self.send_response(204); self.end_headers()"),
            try Self.receiver(
                stack, port: redirectPort, name: "redirect",
                behaviour: "self.send_response(302); self.send_header('Location', 'http://127.0.0.1:\(targetPort)/'); self.end_headers()"),
            try Self.receiver(stack, port: targetPort, name: "target", behaviour: "self.send_response(204); self.end_headers()"),
        ]
        defer {
            for receiver in receivers {
                receiver.signal(SIGKILL)
                _ = receiver.wait(seconds: 5)
            }
        }
        // A redirect is a failed delivery, and its target never hears from batchd.
        let seen = try firstAttempt(stack, url: "http://127.0.0.1:\(redirectPort)/hook", "the redirected delivery")
        #expect((seen["last_error"] as? String)?.contains("redirects are not followed") == true, "\(seen)")
        #expect(Self.hits(stack, "target") == 0)
        // Three batches of one tenant whose receiver takes 6 s; then another tenant's.
        for _ in 0..<3 { #expect(try create(stack, key: stack.clientKey, url: "http://127.0.0.1:\(slowPort)/hook").status == 201) }
        try stack.waitUntil(seconds: 10, "the slow receiver to be busy") { Self.hits(stack, "slow") >= 1 }
        _ = try stack.batchctl(["tenant", "create", "other"])
        let otherKey = try stack.batchctl(["key", "create", "--tenant", "other", "--role", "client", "--secret-only"]).trimmingCharacters(
            in: .whitespacesAndNewlines)
        let started = Date()
        let other = try create(stack, key: otherKey, url: "http://127.0.0.1:\(fastPort)/hook")
        let otherID = try #require((other.json["data"] as? [String: Any])?["batch_id"] as? String)
        try stack.waitUntil(seconds: 20, "the other tenant's webhook") {
            notification(stack, otherID, key: otherKey)["status"] as? String == "delivered"
        }
        let delay = Date().timeIntervalSince(started)
        #expect(delay < 4, "the other tenant waited \(delay) s behind a slow receiver")
        print("webhook delay of a tenant beside a slow receiver: \(String(format: "%.2f", delay)) s")
    }
}
