import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A setting batchd cannot use stops it at start with a message naming the flag or the
/// variable; none falls back to its default in silence. batchctl likewise.
@Suite struct SettingsTests {
    @Test(arguments: [
        (["BATCHD_THREADS": "abc"], [String](), "BATCHD_THREADS='abc' is not a whole number (the setting of --threads"),
        (["BATCHD_GRACE_SECONDS": "soon"], [], "BATCHD_GRACE_SECONDS='soon' is not a number"),
        (["BATCHD_MAX_ITEMS": "1e5"], [], "BATCHD_MAX_ITEMS='1e5' is not a whole number"),
        ([:], ["--threads", "0"], "--threads must be between 1 and 4096"),
        ([:], ["--lease-seconds", "1"], "--lease-seconds must be between 2 and 3600"),
        ([:], ["--node", "Node/1"], "--node must be at most 32 of a-z, 0-9 and -"),
    ])
    func aBadSettingStopsBatchdNamingIt(_ environment: [String: String], _ arguments: [String], _ message: String) throws {
        let (status, text, socketMade) = try runToExit("batchd", { ["--state-dir", $0] + arguments }, environment: environment)
        #expect(status != nil && status != 0, "batchd did not stop: \(text)")
        #expect(text.contains(message), "\(text)")
        #expect(!socketMade)
    }

    /// batchctl too: a Redis endpoint it cannot read is an error, not the default socket.
    @Test func batchctlRefusesARedisEndpointItCannotRead() throws {
        let (status, text, _) = try runToExit("batchctl", { ["cache", "show", "--state-dir", $0] }, environment: ["BATCHD_REDIS": "nonsense"])
        #expect(status != nil && status != 0, "\(text)")
        #expect(text.contains("--redis (BATCHD_REDIS) 'nonsense' must be unix:/path, /path or host:port"), "\(text)")
    }

    /// Runs one of the built programs with a fresh state directory (given to `arguments`)
    /// until it exits (20 s at most): its exit status (nil if it did not), its output, and
    /// whether a FastCGI socket appeared in the folder meanwhile.
    private func runToExit(
        _ program: String, _ arguments: (String) -> [String], environment: [String: String]
    ) throws -> (status: Int32?, text: String, socketMade: Bool) {
        let base = ProcessInfo.processInfo.environment["BATCHD_TEST_TMP"] ?? NSTemporaryDirectory()
        let folder = base + "/settings-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let output = folder + "/\(program).out"
        let child = try ChildProcess.spawn(TestStack.binDirectory + "/" + program, arguments(folder), outputPath: output, environment: environment)
        let status = child.wait(seconds: 20)
        if status == nil { child.signal(SIGKILL) }
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        return (status, text, FileManager.default.fileExists(atPath: folder + "/run/batchd.sock"))
    }
}
