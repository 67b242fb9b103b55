import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `deploy/run` as a developer runs it (on the suite's build, in a temporary state
/// directory on a free port): batchd killed with SIGKILL is restarted and answers
/// again through nginx; `deploy/run stop` ends everything without a restart.
@Suite(.serialized) struct DeployRunTests {
    static let script = TestStack.repositoryRoot + "/deploy/run"

    /// `deploy/run` with `arguments` on the suite's build, in a new state folder on a
    /// free port; its output goes to `<state>/deploy-run.out`.
    static func start(_ arguments: [String]) throws -> (state: String, port: Int, output: String, supervisor: ChildProcess) {
        let base = ProcessInfo.processInfo.environment["BATCHD_TEST_TMP"] ?? NSTemporaryDirectory()
        let state = base + "/deploy-run-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        let port = try TestStack.freePort()
        let output = state + "/deploy-run.out"
        let environment = ["BATCHD_BIN_DIR": TestStack.binDirectory, "BATCHD_THREADS": "16"]
        let supervisor = try ChildProcess.spawn(
            "/bin/bash", [script, "--port", "\(port)", "--state-dir", state] + arguments, outputPath: output, environment: environment)
        return (state, port, output, supervisor)
    }

    /// `deploy/run stop`, then the supervisor killed if it is still there.
    static func stop(_ state: String, _ supervisor: ChildProcess) {
        _ = try? ChildProcess.bash("\"\(script)\" stop --state-dir \"\(state)\"")
        supervisor.signal(SIGKILL)
        _ = supervisor.wait(seconds: 5)
    }

    @Test func deployRunRestartsACrashedBatchdAndStopsCleanly() throws {
        let (state, port, output, supervisor) = try Self.start([])
        let script = Self.script
        defer { Self.stop(state, supervisor) }
        func healthy() -> Bool { (try? HTTPClient.send(port: port, path: "/healthz", timeoutSeconds: 2))?.status == 200 }
        func batchdPID() -> pid_t? {
            (try? String(contentsOfFile: state + "/run/batchd.pid", encoding: .utf8)).flatMap {
                pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines))
            }
        }
        func log() -> String { (try? String(contentsOfFile: output, encoding: .utf8)) ?? "" }
        try TestStack.waitUntil(seconds: 90, "deploy/run ready") { healthy() && log().contains("batchd is running at") }
        #expect(log().contains("operator key: "))
        // The dashboard: its URL printed, its page served by nginx with a strict CSP.
        #expect(log().contains("dashboard: http://127.0.0.1:\(port)/dashboard/"))
        let page = try HTTPClient.send(port: port, path: "/dashboard/")
        #expect(page.status == 200 && page.text.contains("<title>batchd</title>"))
        #expect(page.headers["content-security-policy"]?.contains("script-src 'self'") == true)
        #expect(page.headers["x-frame-options"] == "DENY")
        let first = try #require(batchdPID())

        kill(first, SIGKILL)
        try TestStack.waitUntil(seconds: 30, "batchd restarted") { log().contains("batchd is back") }
        #expect(log().contains("batchd exited with status 137"), "\(log().suffix(800))")
        let second = try #require(batchdPID())
        #expect(second != first)
        #expect(healthy())

        try ChildProcess.bash("\"\(script)\" stop --state-dir \"\(state)\"")
        #expect(supervisor.wait(seconds: 20) == 0, "\(log().suffix(800))")
        #expect(!log().contains("restarting batchd in", after: "batchd is back"))
        #expect(kill(second, 0) != 0, "batchd still runs")
        #expect(!healthy(), "nginx still answers")
        #expect(!FileManager.default.fileExists(atPath: state + "/run/redis.pid"))
        try? FileManager.default.removeItem(atPath: state)
    }
}

extension DeployRunTests {
    /// `deploy/run --store postgres --nodes 2`: a private PostgreSQL cluster under the
    /// state folder, two batchd nodes behind one nginx; a batch created through it
    /// completes; `stop` ends every process, PostgreSQL's too.
    @Test func deployRunStartsSeveralNodesOnPostgres() throws {
        let (state, port, output, supervisor) = try Self.start(["--store", "postgres", "--nodes", "2"])
        let script = Self.script
        defer {
            Self.stop(state, supervisor)
            try? FileManager.default.removeItem(atPath: state)
        }
        func log() -> String { (try? String(contentsOfFile: output, encoding: .utf8)) ?? "" }
        try TestStack.waitUntil(seconds: 90, "deploy/run ready") { log().contains("batchd is running at") }
        #expect(log().contains("2 batchd nodes behind nginx on postgres"), "\(log().suffix(800))")
        let key = try #require(
            log().split(separator: "\n").first { $0.contains("client key: ") }.map { String($0.split(separator: " ").last ?? "") })
        let created = try HTTPClient.send(
            port: port, method: "POST", path: "/v1/batches", headers: ["X-Api-Key": key, "Content-Type": "application/json"],
            body: Array(#"{"processor":"noop","items":[{"content":"a"},{"content":"b"}]}"#.utf8))
        #expect(created.status == 201, "\(created.text)")
        let id = try #require((created.json["data"] as? [String: Any])?["batch_id"] as? String)
        try TestStack.waitUntil(seconds: 20, "the batch completed") {
            let status = try? HTTPClient.send(port: port, path: "/v1/batches/\(id)", headers: ["X-Api-Key": key])
            return ((status?.json["data"] as? [String: Any])?["status"] as? String) == "completed"
        }
        // Every node is supervised: node 2 killed with SIGKILL comes back under a new pid.
        let nodePID = { try? String(contentsOfFile: state + "/run/batchd-n2.pid", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) }
        let killed = try #require(nodePID().flatMap { pid_t($0) })
        kill(killed, SIGKILL)
        try TestStack.waitUntil(seconds: 30, "node 2 restarted") { log().contains("batchd node 2 is back") }
        #expect(nodePID().flatMap { pid_t($0) }.map { $0 != killed } == true)
        #expect(log().contains("batchd node 2 exited with status"), "\(log().suffix(800))")
        let pid = try String(contentsOfFile: state + "/pg/data/postmaster.pid", encoding: .utf8).split(separator: "\n").first.flatMap { pid_t($0) }
        try ChildProcess.bash("\"\(script)\" stop --state-dir \"\(state)\"")
        #expect(supervisor.wait(seconds: 30) == 0, "\(log().suffix(800))")
        // Gone, or a zombie waiting for the test runner to reap it (it may be its subreaper).
        let stat = pid.flatMap { try? String(contentsOfFile: "/proc/\($0)/stat", encoding: .utf8) }
        #expect(pid != nil && (stat == nil || stat!.split(separator: " ")[2] == "Z"), "PostgreSQL still runs: \(stat ?? "")")
        #expect((try? HTTPClient.send(port: port, path: "/healthz", timeoutSeconds: 2)) == nil, "nginx still answers")
    }
}

extension String {
    /// Whether `text` occurs after the first `marker`.
    fileprivate func contains(_ text: String, after marker: String) -> Bool {
        guard let start = range(of: marker) else { return false }
        return self[start.upperBound...].contains(text)
    }
}
