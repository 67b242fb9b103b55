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
    @Test func deployRunRestartsACrashedBatchdAndStopsCleanly() throws {
        let base = ProcessInfo.processInfo.environment["BATCHD_TEST_TMP"] ?? NSTemporaryDirectory()
        let state = base + "/deploy-run-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        let port = try TestStack.freePort()
        let script = TestStack.repositoryRoot + "/deploy/run"
        let output = state + "/deploy-run.out"
        let environment = ["BATCHD_BIN_DIR": TestStack.binDirectory, "BATCHD_THREADS": "16"]
        let supervisor = try ChildProcess.spawn(
            "/bin/bash", [script, "--port", "\(port)", "--state-dir", state], outputPath: output, environment: environment)
        defer {
            _ = try? ChildProcess.bash("\"\(script)\" stop --state-dir \"\(state)\"")
            supervisor.signal(SIGKILL)
            _ = supervisor.wait(seconds: 5)
        }
        func healthy() -> Bool { (try? HTTPClient.send(port: port, path: "/healthz", timeoutSeconds: 2))?.status == 200 }
        func batchdPID() -> pid_t? {
            (try? String(contentsOfFile: state + "/run/batchd.pid", encoding: .utf8)).flatMap {
                pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines))
            }
        }
        func log() -> String { (try? String(contentsOfFile: output, encoding: .utf8)) ?? "" }
        try TestStack.waitUntil(seconds: 90, "deploy/run ready") { healthy() && log().contains("batchd is running at") }
        #expect(log().contains("operator key: "))
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

extension String {
    /// Whether `text` occurs after the first `marker`.
    fileprivate func contains(_ text: String, after marker: String) -> Bool {
        guard let start = range(of: marker) else { return false }
        return self[start.upperBound...].contains(text)
    }
}
