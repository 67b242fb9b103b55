import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The real stack for one test: redis-server, batchd and nginx, started on free
/// ports and sockets in a temporary directory with the same scripts and templates
/// as `deploy/run`, and always stopped by `stop()` (call it in a `defer`).
final class TestStack {
    struct Options {
        /// Above nginx's kept-open FastCGI connections (2 workers × 16): fewer stalls requests.
        var threads = 48
        var maxBodyBytes = 512 << 20
        var nginxMaxBody = "512m"
        var perAddressRate = "100000r/s"
        var perAddressBurst = 100_000
        /// Requests in progress from one address (all the tests share 127.0.0.1).
        var perAddressConnections = 60_000
        /// Requests one tenant may have in batchd at once (tests of other limits want it out of the way).
        var tenantMaxInFlight = 10_000
        var graceSeconds = 10.0
        /// A processors file's JSON, written into the stack's directory.
        var processors: String?
        var extraArguments: [String] = []
        /// The `acme` tenant's rate limit; nil keeps batchd's default (1,000 an hour, burst 100).
        var tenantLimits: (limit: Int, window: Int, burst: Int)? = (100_000_000, 3600, 1_000_000)
        /// The store on a PostgreSQL server of the stack's own instead of SQLite.
        var postgres = false
        /// batchd processes behind the one nginx upstream (more than one wants `postgres`).
        var nodes = 1
    }

    static let repositoryRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// Where `swift build` put batchd and batchctl (deploy/test sets BATCHD_BIN_DIR).
    static let binDirectory: String =
        ProcessInfo.processInfo.environment["BATCHD_BIN_DIR"] ?? repositoryRoot + "/.build/debug"

    let options: Options
    let directory: String
    let port: Int
    private(set) var batchd: ChildProcess?
    /// Nodes 2…N (`options.nodes`), each with its own socket (`--node nN`); node 1 is `batchd`.
    private(set) var otherNodes: [ChildProcess] = []
    /// The stack's PostgreSQL server when `options.postgres`; stopped with the stack.
    private(set) var postgres: TemporaryPostgres?
    private(set) var tenantID = ""
    private(set) var adminKey = ""
    private(set) var clientKey = ""

    var runDirectory: String { directory + "/run" }
    var logDirectory: String { directory + "/log" }

    init(_ options: Options = Options()) throws {
        self.options = options
        let base = ProcessInfo.processInfo.environment["BATCHD_TEST_TMP"] ?? NSTemporaryDirectory()
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        directory = base + "/stack-" + UUID().uuidString.prefix(8).lowercased()
        for folder in ["var", "run", "log"] {
            try FileManager.default.createDirectory(atPath: directory + "/" + folder, withIntermediateDirectories: true)
        }
        chmod(directory, 0o755)
        chmod(directory + "/run", 0o755)
        port = try Self.freePort()
        do {
            if options.postgres { postgres = try TemporaryPostgres(label: "pg") }
            try startRedis()
            try startBatchd()
            for node in 2..<max(2, options.nodes + 1) { otherNodes.append(try startNode(node)) }
            tenantID = try batchctl(["tenant", "create", "acme"]).trimmingCharacters(in: .whitespacesAndNewlines)
            // Tests send many requests: the stack's tenant is not held to the default
            // 1,000 an hour unless a test sets its own limits.
            if let limits = options.tenantLimits {
                try batchctl([
                    "tenant", "limits", "acme", "--limit", String(limits.limit), "--window", String(limits.window), "--burst", String(limits.burst),
                ])
            }
            adminKey = try batchctl(["key", "create", "--tenant", "acme", "--role", "operator", "--secret-only"]).trimmingCharacters(
                in: .whitespacesAndNewlines)
            clientKey = try batchctl(["key", "create", "--tenant", "acme", "--role", "client", "--secret-only"]).trimmingCharacters(
                in: .whitespacesAndNewlines)
            try startNginx()
        } catch {
            stop()
            throw error
        }
    }

    // MARK: Processes

    func startRedis() throws {
        try shell("write_redis_conf \"$STACK\" && redis-server \"$STACK/run/redis.conf\" && wait_for 50 redis-cli -s \"$STACK/run/redis.sock\" ping")
    }

    func stopRedis() throws {
        try shell("stop_pidfile \"$STACK/run/redis.pid\"")
    }

    /// Starts node `index` (2…N) of a multi-node stack and waits until it accepts.
    func startNode(_ index: Int) throws -> ChildProcess {
        let socket = runDirectory + "/batchd-n\(index).sock"
        unlink(socket)
        let process = try ChildProcess.spawn(
            Self.binDirectory + "/batchd", batchdArguments() + ["--node", "n\(index)"], outputPath: logDirectory + "/batchd-n\(index).log")
        try waitUntil(seconds: 10, "batchd node \(index) socket") { FileManager.default.fileExists(atPath: socket) }
        return process
    }

    /// Every node's socket, node 1 first.
    var sockets: [String] { [runDirectory + "/batchd.sock"] + (0..<otherNodes.count).map { runDirectory + "/batchd-n\($0 + 2).sock" } }

    /// Starts batchd; unless `waitForSocket` is false, waits until it accepts.
    func startBatchd(waitForSocket: Bool = true) throws {
        let arguments = try batchdArguments()
        // A socket left by a killed batchd must not pass for the new one.
        unlink(runDirectory + "/batchd.sock")
        batchd = try ChildProcess.spawn(
            Self.binDirectory + "/batchd",
            arguments,
            outputPath: logDirectory + "/batchd.log")
        guard waitForSocket else { return }
        try waitUntil(seconds: 10, "batchd socket") { FileManager.default.fileExists(atPath: self.runDirectory + "/batchd.sock") }
    }

    private func batchdArguments() throws -> [String] {
        var arguments = [
            "--state-dir", directory, "--threads", "\(options.threads)", "--socket-mode", "0666",
            "--max-body-bytes", "\(options.maxBodyBytes)", "--grace-seconds", "\(options.graceSeconds)",
            "--tenant-max-in-flight", "\(options.tenantMaxInFlight)",
        ]
        if let processors = options.processors {
            try processors.write(toFile: directory + "/processors.json", atomically: true, encoding: .utf8)
            arguments += ["--processors-file", directory + "/processors.json"]
        }
        if let postgres { arguments += ["--postgres", postgres.conninfo] }
        return arguments + options.extraArguments
    }

    /// Kills batchd with SIGKILL, as a crash would, and reaps it.
    func killBatchd() {
        guard let process = batchd else { return }
        process.signal(SIGKILL)
        _ = process.wait(seconds: 10)
        batchd = nil
    }

    /// Kills node `index` (1…N) with SIGKILL, calls `killed` with its pid, and
    /// starts the node again (waiting until it accepts).
    func killAndRestartNode(_ index: Int, killed: (Int32) -> Void = { _ in }) throws {
        if index == 1 {
            let pid = batchd?.pid ?? 0
            killBatchd()
            killed(pid)
            try startBatchd()
            return
        }
        let node = otherNodes[index - 2]
        node.signal(SIGKILL)
        _ = node.wait(seconds: 10)
        killed(node.pid)
        otherNodes[index - 2] = try startNode(index)
    }

    /// Sends `signal` to batchd and waits for it to exit; returns its exit status.
    func stopBatchd(signal: Int32 = SIGTERM, waitSeconds: Double = 20) throws -> Int32 {
        guard let process = batchd else { return -1 }
        process.signal(signal)
        guard let status = process.wait(seconds: waitSeconds) else { throw StackError.timeout("batchd exit") }
        batchd = nil
        return status
    }

    func startNginx() throws {
        try shell(
            """
            PER_ADDRESS_RATE='\(options.perAddressRate)' PER_ADDRESS_BURST=\(options.perAddressBurst) PER_ADDRESS_CONN=\(options.perAddressConnections) MAX_BODY=\(options.nginxMaxBody) \
            NGINX_WORKERS=2 NGINX_UPSTREAM_KEEPALIVE=16 render_nginx "$STACK" 127.0.0.1:\(port) "\(sockets.joined(separator: " "))" && \
            nginx -t -q -c "$STACK/run/nginx.conf" -p "$STACK/run" && nginx -c "$STACK/run/nginx.conf" -p "$STACK/run"
            """)
        try waitUntil(seconds: 10, "nginx") { (try? self.get("/healthz").status) == 200 }
    }

    /// Stops nginx, batchd and Redis and removes the directory. Safe to call twice.
    func stop() {
        if let process = batchd {
            process.signal(SIGTERM)
            if process.wait(seconds: 15) == nil {
                process.signal(SIGKILL)
                _ = process.wait(seconds: 5)
            }
        }
        batchd = nil
        for node in otherNodes {
            node.signal(SIGTERM)
            if node.wait(seconds: 15) == nil {
                node.signal(SIGKILL)
                _ = node.wait(seconds: 5)
            }
        }
        otherNodes = []
        _ = try? shell("stop_pidfile \"$STACK/run/nginx.pid\"; stop_pidfile \"$STACK/run/redis.pid\"")
        postgres = nil
        if ProcessInfo.processInfo.environment["BATCHD_KEEP_TEST_DIRS"] == nil {
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    // MARK: Requests

    func get(_ path: String, key: String? = nil, headers: [String: String] = [:]) throws -> HTTPResult {
        try send("GET", path, key: key, headers: headers)
    }

    func send(
        _ method: String, _ path: String, key: String? = nil, headers: [String: String] = [:], body: [UInt8] = [], sourceAddress: String? = nil
    ) throws -> HTTPResult {
        var all = headers
        if let key { all["X-Api-Key"] = key }
        if !body.isEmpty, all["Content-Type"] == nil { all["Content-Type"] = "application/json" }
        return try HTTPClient.send(port: port, method: method, path: path, headers: all, body: body, sourceAddress: sourceAddress)
    }

    func sendJSON(_ method: String, _ path: String, key: String, _ json: String) throws -> HTTPResult {
        try send(method, path, key: key, body: Array(json.utf8))
    }

    // MARK: Helpers

    /// Runs batchctl against this stack's database and returns its standard output.
    @discardableResult
    func batchctl(_ arguments: [String]) throws -> String {
        let split = arguments.firstIndex(where: { $0.hasPrefix("-") }) ?? arguments.count
        let store = postgres.map { ["--postgres", $0.conninfo] } ?? []
        return try run(Self.binDirectory + "/batchctl", Array(arguments[..<split]) + ["--state-dir", directory] + store + Array(arguments[split...]))
    }

    /// Runs a snippet with deploy/lib.sh sourced and STACK set to this stack's directory.
    @discardableResult
    func shell(_ script: String) throws -> String {
        try run("/bin/bash", ["-c", "set -e; source \"\(Self.repositoryRoot)/deploy/lib.sh\"; STACK=\"\(directory)\"; \(script)"])
    }

    /// Runs a command to completion. Output goes through files, not pipes: a daemon
    /// it starts inherits them, and a pipe would then never reach end-of-file.
    func run(_ executable: String, _ arguments: [String], seconds: Double = 60) throws -> String {
        let outputPath = directory + "/run/cmd-" + UUID().uuidString + ".out"
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        let child = try ChildProcess.spawn(executable, arguments, outputPath: outputPath)
        guard let status = child.wait(seconds: seconds) else {
            child.signal(SIGKILL)
            throw StackError.timeout("\(executable) \(arguments.joined(separator: " "))")
        }
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        guard status == 0 else {
            throw StackError.command("\(executable) \(arguments.joined(separator: " ")) exited \(status): \(text)")
        }
        return text
    }

    func waitUntil(seconds: Double, _ what: String, _ condition: () -> Bool) throws {
        try Self.waitUntil(seconds: seconds, what, condition)
    }

    static func waitUntil(seconds: Double, _ what: String, _ condition: () -> Bool) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return }
            usleep(50_000)
        }
        throw StackError.timeout(what)
    }

    /// batchd's peak resident memory so far, in kB (VmHWM).
    func batchdPeakMemoryKB() -> Int? { batchdStatusKB("VmHWM:") }

    /// The Linux scheduling policy of each of batchd's threads (field 41 of
    /// /proc/PID/task/TID/stat: 0 normal, 3 batch), counted by policy.
    func batchdThreadPolicies() -> [Int: Int] {
        guard let pid = batchd?.pid, let threads = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task") else { return [:] }
        var counts: [Int: Int] = [:]
        for thread in threads {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/task/\(thread)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { continue }
            // Fields after the command's closing parenthesis start at field 3.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 38, let policy = Int(fields[38]) { counts[policy, default: 0] += 1 }
        }
        return counts
    }

    /// batchd's resident memory now, in kB (VmRSS).
    func batchdResidentMemoryKB() -> Int? { batchdStatusKB("VmRSS:") }

    private func batchdStatusKB(_ field: String) -> Int? {
        guard let pid = batchd?.pid, let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        let line = status.split(separator: "\n").first { $0.hasPrefix(field) }
        return line.flatMap { Int($0.split(separator: " ", omittingEmptySubsequences: true)[1]) }
    }

    /// The highest peak resident memory (VmHWM, kB) among batchd's running
    /// inspection helpers, or nil when none runs.
    /// batchd's inspection helpers, each with its /proc status fields.
    func helperProcesses() -> [(pid: Int32, status: [String: String])] {
        guard let parent = batchd?.pid, let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return entries.compactMap { entry in
            guard let pid = Int32(entry), let status = try? String(contentsOfFile: "/proc/\(entry)/status", encoding: .utf8) else { return nil }
            let fields = Dictionary(
                status.split(separator: "\n").compactMap { line -> (String, String)? in
                    let parts = line.split(separator: ":", maxSplits: 1)
                    return parts.count == 2 ? (String(parts[0]), parts[1].trimmingCharacters(in: .whitespaces)) : nil
                }, uniquingKeysWith: { first, _ in first })
            guard fields["PPid"] == "\(parent)", fields["Name"] == "batchd-inspect" else { return nil }
            return (pid, fields)
        }
    }

    func helperPeakMemoryKB() -> Int? {
        helperProcesses().compactMap { $0.status["VmHWM"].flatMap { Int($0.split(separator: " ")[0]) } }.max()
    }

    /// A process's nice value (field 19 of /proc/PID/stat).
    static func niceness(of pid: Int32) -> Int? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let end = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: end)...].split(separator: " ")
        return fields.count > 16 ? Int(fields[16]) : nil
    }

    func readLog(_ name: String) -> String {
        (try? String(contentsOfFile: logDirectory + "/" + name, encoding: .utf8)) ?? ""
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Int32 in
                guard bind(fd, pointer, length) == 0 else { return -1 }
                return getsockname(fd, pointer, &length)
            }
        }
        guard bound == 0 else { throw StackError.command("cannot find a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

enum StackError: Error, CustomStringConvertible {
    case command(String)
    case timeout(String)

    var description: String {
        switch self {
        case .command(let text): return text
        case .timeout(let what): return "timed out waiting for \(what)"
        }
    }
}
