import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// A setting batchd cannot use stops it at start with a message naming the flag or the
/// variable; none falls back to its default in silence.
@Suite struct SettingsTests {
    @Test(arguments: [
        (["BATCHD_THREADS": "abc"], [String](), "BATCHD_THREADS='abc' is not a whole number (the setting of --threads"),
        (["BATCHD_GRACE_SECONDS": "soon"], [], "BATCHD_GRACE_SECONDS='soon' is not a number"),
        (["BATCHD_MAX_ITEMS": "1e5"], [], "BATCHD_MAX_ITEMS='1e5' is not a whole number"),
        ([:], ["--threads", "0"], "--threads must be between 1 and 4096"),
        ([:], ["--lease-seconds", "1"], "--lease-seconds must be between 2 and 3600"),
    ])
    func aBadSettingStopsBatchdNamingIt(_ environment: [String: String], _ arguments: [String], _ message: String) throws {
        let base = ProcessInfo.processInfo.environment["BATCHD_TEST_TMP"] ?? NSTemporaryDirectory()
        let folder = base + "/settings-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let output = folder + "/batchd.out"
        let batchd = try ChildProcess.spawn(
            TestStack.binDirectory + "/batchd", ["--state-dir", folder] + arguments, outputPath: output, environment: environment)
        let status = batchd.wait(seconds: 20)
        if status == nil { batchd.signal(SIGKILL) }
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        #expect(status != nil && status != 0, "batchd did not stop: \(text)")
        #expect(text.contains(message), "\(text)")
        #expect(!FileManager.default.fileExists(atPath: folder + "/run/batchd.sock"))
    }

    /// batchctl too: a Redis endpoint it cannot read is an error, not the default socket.
    @Test func batchctlRefusesARedisEndpointItCannotRead() throws {
        let base = ProcessInfo.processInfo.environment["BATCHD_TEST_TMP"] ?? NSTemporaryDirectory()
        let folder = base + "/batchctl-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let output = folder + "/batchctl.out"
        let batchctl = try ChildProcess.spawn(
            TestStack.binDirectory + "/batchctl", ["cache", "show", "--state-dir", folder], outputPath: output,
            environment: ["BATCHD_REDIS": "nonsense"])
        let status = batchctl.wait(seconds: 20)
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        #expect(status != nil && status != 0, "\(text)")
        #expect(text.contains("--redis (BATCHD_REDIS) 'nonsense' must be unix:/path, /path or host:port"), "\(text)")
    }
}
