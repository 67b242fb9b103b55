import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The running stack end to end: status, health, keys, Redis outages and
/// graceful stops, through a real nginx, Redis and SQLite.
@Suite(.serialized) struct StackTests {
    @Test func statusHealthAndMetrics() throws {
        var options = TestStack.Options()
        options.tenantLimits = nil
        let stack = try TestStack(options)
        defer { stack.stop() }
        let status = try stack.get("/v1/status", key: stack.clientKey)
        #expect(status.status == 200)
        let data = try #require(status.json["data"] as? [String: Any])
        #expect((data["tenant"] as? [String: Any])?["name"] as? String == "acme")
        #expect((data["tenant"] as? [String: Any])?["id"] as? String == stack.tenantID)
        #expect((data["rate_limit"] as? [String: Any])?["limit"] as? Int == 1000)
        #expect((data["service"] as? [String: Any])?["sqlite"] as? String == "up")
        #expect((data["service"] as? [String: Any])?["redis"] as? String == "up")
        #expect(status.json["success"] as? Bool == true)

        let bearer = try stack.get("/v1/status", headers: ["Authorization": "Bearer \(stack.clientKey)"])
        #expect(bearer.status == 200)

        #expect(try stack.get("/healthz").json["status"] as? String == "ok")
        let ready = try stack.get("/readyz")
        #expect(ready.status == 200)
        #expect(ready.json["status"] as? String == "ready")

        let metrics = try stack.get("/metrics")
        #expect(metrics.status == 200)
        #expect(metrics.text.contains("batchd_requests_total{class=\"2xx\"}"))
        // From any address but loopback's own, nginx refuses /metrics.
        let outside = try stack.send("GET", "/metrics", sourceAddress: "127.0.0.2")
        #expect(outside.status == 403)
        #expect(outside.json["code"] as? String == "forbidden")
        #expect(try stack.send("GET", "/v1/status", key: stack.clientKey, sourceAddress: "127.0.0.2").status == 200)

        // Every thread, those started after the policy was set included, runs under
        // SCHED_BATCH (3), batchd's default --cpu-scheduling.
        let policies = stack.batchdThreadPolicies()
        #expect(policies.keys.sorted() == [3], "\(policies)")
        #expect((policies[3] ?? 0) > 10)
    }

    @Test func nginxAcceptsTheRenderedConfig() throws {
        let stack = try TestStack()
        defer { stack.stop() }
        // render_nginx wrote it; nginx -t must accept it as it stands.
        try stack.shell("nginx -t -q -c \"$STACK/run/nginx.conf\" -p \"$STACK/run\"")
    }

    @Test func revokedKeysStopWorkingWithinFiveSeconds() throws {
        let stack = try TestStack()
        defer { stack.stop() }
        let created = try stack.sendJSON("POST", "/v1/admin/tenants/\(stack.tenantID)/keys", key: stack.adminKey, #"{"role":"client","name":"temp"}"#)
        #expect(created.status == 201)
        let data = try #require(created.json["data"] as? [String: Any])
        let key = try #require(data["key"] as? String)
        let keyID = try #require(data["key_id"] as? String)
        // Warm the key caches of several workers.
        for _ in 0..<30 { #expect(try stack.get("/v1/status", key: key).status == 200) }

        let revoked = try stack.send("DELETE", "/v1/admin/tenants/\(stack.tenantID)/keys/\(keyID)", key: stack.adminKey)
        #expect(revoked.status == 200)
        let start = Date()
        try stack.waitUntil(seconds: 5, "revocation on every worker") {
            (0..<20).allSatisfy { _ in (try? stack.get("/v1/status", key: key).status) == 401 }
        }
        #expect(Date().timeIntervalSince(start) < 5)

        // The same through batchctl on the server's machine.
        let cliKey = try stack.batchctl(["key", "create", "--tenant", "acme", "--secret-only"]).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try stack.get("/v1/status", key: cliKey).status == 200)
        let listing = try stack.batchctl(["key", "list", "--tenant", "acme"])
        #expect(!listing.contains(cliKey))
        let cliKeyID = try #require(listing.split(separator: "\n").last?.split(separator: "\t").first.map(String.init))
        try stack.batchctl(["key", "revoke", cliKeyID])
        try stack.waitUntil(seconds: 5, "batchctl revocation") {
            (0..<20).allSatisfy { _ in (try? stack.get("/v1/status", key: cliKey).status) == 401 }
        }
    }

    @Test func servesWhileRedisIsDown() throws {
        let stack = try TestStack()
        defer { stack.stop() }
        #expect(try stack.get("/readyz").json["status"] as? String == "ready")
        try stack.stopRedis()

        // Workers probe at most once a second; within a few seconds all report Redis down.
        try stack.waitUntil(seconds: 5, "redis reported down") {
            guard let result = try? stack.get("/v1/status", key: stack.clientKey), result.status == 200 else { return false }
            return ((result.json["data"] as? [String: Any])?["service"] as? [String: Any])?["redis"] as? String == "down"
        }
        for _ in 0..<20 { #expect(try stack.get("/v1/status", key: stack.clientKey).status == 200) }
        let degraded = try stack.get("/readyz")
        #expect(degraded.status == 200)
        #expect(degraded.json["status"] as? String == "degraded")
        #expect((degraded.json["checks"] as? [String: String])?["redis"] == "down")

        // Logged once, however many workers noticed, and counted for /metrics.
        let log = stack.readLog("batchd.log")
        #expect(log.components(separatedBy: "msg=\"dependency is down\" dependency=redis").count - 1 == 1, "\(log.suffix(2000))")
        let metrics = try stack.get("/metrics").text
        #expect(metrics.contains("batchd_dependency_up{dependency=\"redis\"} 0"))
        #expect(metrics.contains("batchd_dependency_down_total{dependency=\"redis\"} 1"))

        try stack.startRedis()
        try stack.waitUntil(seconds: 5, "redis back") { (try? stack.get("/readyz").json["status"] as? String) == "ready" }
        try stack.waitUntil(seconds: 5, "redis back in the log") {
            stack.readLog("batchd.log").contains("msg=\"dependency is back\" dependency=redis")
        }
        #expect(try stack.get("/metrics").text.contains("batchd_dependency_up{dependency=\"redis\"} 1"))
    }

    @Test func clientsThatHangUpDoNotHurtWorkers() throws {
        let stack = try TestStack(.init(threads: 2))
        defer { stack.stop() }
        for _ in 0..<4 {
            try HTTPClient.sendAndHangUp(
                port: stack.port, path: "/v1/admin/diagnostics/sleep?ms=300", headers: ["X-Api-Key": stack.adminKey], afterMilliseconds: 50)
        }
        usleep(400_000)
        for _ in 0..<20 { #expect(try stack.get("/v1/status", key: stack.clientKey).status == 200) }
        #expect(stack.batchd?.exitStatus() == nil, "batchd must still run")
    }

    @Test func sigintStopsLikeSigterm() throws {
        let stack = try TestStack()
        defer { stack.stop() }
        #expect(try stack.get("/v1/status", key: stack.clientKey).status == 200)
        #expect(try stack.stopBatchd(signal: SIGINT) == 0)
    }

    @Test func sigtermFinishesRequestsInFlight() throws {
        let stack = try TestStack(.init(threads: 8, graceSeconds: 10))
        defer { stack.stop() }
        let port = stack.port
        let adminKey = stack.adminKey
        let results = Mutex<[Int: HTTPResult]>([:])
        let done = DispatchGroup()
        for index in 0..<6 {
            done.enter()
            Thread.detachNewThread {
                defer { done.leave() }
                if let result = try? HTTPClient.send(
                    port: port, path: "/v1/admin/diagnostics/sleep?ms=1500", headers: ["X-Api-Key": adminKey])
                {
                    results.withLock { $0[index] = result }
                }
            }
        }
        usleep(400_000)
        let exitStatus = try stack.stopBatchd()
        #expect(done.wait(timeout: .now() + 20) == .success)
        #expect(exitStatus == 0)
        let answered = results.withLock { $0 }
        #expect(answered.count == 6)
        for (_, result) in answered {
            #expect(result.status == 200, "\(result.text)")
            #expect((result.json["data"] as? [String: Any])?["slept_ms"] as? Int == 1500)
        }
        // With batchd gone, nginx still answers in the envelope.
        let after = try stack.get("/v1/status", key: stack.clientKey)
        #expect(after.status == 503)
        #expect(after.json["code"] as? String == "service_unavailable")
        #expect(stack.readLog("batchd.log").contains("msg=stopped"))
    }

    /// One deadline for every service: with a request, an item and a webhook all
    /// running past the grace period, SIGTERM still ends batchd with 0 within
    /// `--grace-seconds` + 1 s (each service stopped with its own full grace took 3×).
    @Test func sigtermWithWorkEverywhereEndsWithinOneGracePeriod() throws {
        var options = TestStack.Options()
        options.graceSeconds = 2
        options.processors = #"{"exec": {"slow": {"command": ["/bin/sleep", "8"]}}}"#
        options.extraArguments = ["--webhook-allow-hosts", "127.0.0.1"]
        let stack = try TestStack(options)
        defer { stack.stop() }
        let receiverPort = try TestStack.freePort()
        let receiver = try WebhookTests.receiver(
            stack, port: receiverPort, name: "hanging", behaviour: "time.sleep(8); self.send_response(204); self.end_headers()")
        defer { receiver.signal(SIGKILL) }

        let notified = try stack.sendJSON(
            "POST", "/v1/batches", key: stack.clientKey,
            #"{"processor":"noop","items":[{"content":"x"}],"configuration":{"notification_url":"http://127.0.0.1:\#(receiverPort)/hook"}}"#)
        #expect(notified.status == 201, "\(notified.text)")
        try stack.waitUntil(seconds: 10, "a webhook delivery under way") { WebhookTests.hits(stack, "hanging") >= 1 }
        let slow = try stack.sendJSON("POST", "/v1/batches", key: stack.clientKey, #"{"processor":"exec:slow","items":[{"content":"x"}]}"#)
        #expect(slow.status == 201, "\(slow.text)")
        let slowID = try #require((slow.json["data"] as? [String: Any])?["batch_id"] as? String)
        try stack.waitUntil(seconds: 10, "an item running") {
            let progress = (try? stack.get("/v1/batches/\(slowID)", key: stack.clientKey).json["data"] as? [String: Any])?["progress"]
            return ((progress as? [String: Any])?["processing"] as? Int ?? 0) >= 1
        }
        let (port, adminKey) = (stack.port, stack.adminKey)
        let request = DispatchGroup()
        request.enter()
        Thread.detachNewThread {
            defer { request.leave() }
            _ = try? HTTPClient.send(port: port, path: "/v1/admin/diagnostics/sleep?ms=8000", headers: ["X-Api-Key": adminKey], timeoutSeconds: 15)
        }
        usleep(300_000)

        let started = DispatchTime.now()
        let exitStatus = try stack.stopBatchd(waitSeconds: 15)
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
        #expect(exitStatus == 0)
        #expect(elapsed <= options.graceSeconds + 1, "stopped after \(elapsed) s")
        let log = stack.readLog("batchd.log")
        #expect(log.contains("msg=\"grace period ended with work still running\""), "\(log.suffix(1500))")
        for service in ["fastcgi", "scheduler", "webhooks"] {
            #expect(log.contains(service), "\(service) should be named as unfinished: \(log.suffix(1500))")
        }
        _ = request.wait(timeout: .now() + 15)
    }
}
