import BatchCodecs
public import BatchModel
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// `exec:NAME`: a command an admin registered, run once per item in its own
/// process group. The item's content (or its `file_path` file) is its standard
/// input; its standard output must be JSON and becomes the item's result; an
/// object output may report `usage` (`cost_cents`, `input_tokens`, `output_tokens`).
/// The whole process group is killed when the batch's timeout passes
/// (`timeout_error`) or the item's lease is lost (cancelled).
///
/// The item is described to the command in its environment: `BATCHD_ITEM_ID`,
/// `BATCHD_BATCH_ID`, `BATCHD_ATTEMPT`, `BATCHD_FILENAME`, `BATCHD_CUSTOM_ID`,
/// `BATCHD_CONTEXT` (JSON).
public struct ExecProcessor: Processor {
    public let name: String
    public let claimBatch = 1
    /// The program and its arguments; no shell is involved.
    public let command: [String]
    /// Where input and output files live while a command runs.
    public let workDirectory: String
    /// Output beyond this is an error: results are documents, not payloads.
    public static let maxOutputBytes = 16 << 20
    /// Where `file_path` items are (`RootedFile`); nil when they are not enabled.
    public let ingestRoot: String?

    public init(name: String, command: [String], workDirectory: String, ingestRoot: String? = nil) {
        self.name = "exec:" + name
        self.command = command
        self.workDirectory = workDirectory
        self.ingestRoot = ingestRoot
    }

    public func process(_ item: ClaimedItem, control: ProcessingControl) -> ItemOutcome {
        let base = workDirectory + "/" + item.id + "-\(item.attempt)"
        let inputPath = base + ".in"
        let outputPath = base + ".out"
        let errorPath = base + ".err"
        let groupPath = base + ".pgid"
        defer {
            unlink(inputPath)
            unlink(outputPath)
            unlink(errorPath)
            unlink(groupPath)
        }
        let input: ProcessLauncher.Stream
        var inputFile: Int32 = -1
        defer { if inputFile >= 0 { close(inputFile) } }
        if let path = item.filePath {
            // Opened here, beneath the root and never through a symlink; the command gets the descriptor.
            switch RootedFile(ingestRoot: ingestRoot).open(path) {
            case .success(let fd): inputFile = fd
            case .failure(let failure):
                return .failed(
                    errorType: "storage_error", message: "Cannot read \(item.displayName): \(failure)", details: ["file_path": .string(path)])
            }
            input = .descriptor(inputFile)
        } else {
            guard FileManager.default.createFile(atPath: inputPath, contents: Data(item.content ?? [])) else {
                return .failed(errorType: "storage_error", message: "Cannot stage the item's input", details: nil)
            }
            input = .file(inputPath, flags: O_RDONLY)
        }
        let pid: pid_t
        do {
            pid = try spawn(item: item, input: input, output: outputPath, errors: errorPath)
        } catch {
            return .failed(errorType: "processing_error", message: "Cannot start \(command.first ?? "command"): \(error)", details: nil)
        }
        // Remembered so that a batchd killed while this runs can end it at its next start.
        _ = FileManager.default.createFile(atPath: groupPath, contents: Data("\(pid)".utf8))
        let deadline = SystemClock.monotonicMilliseconds() + Int64(item.timeoutSeconds) * 1000
        var status: Int32 = 0
        var pause: useconds_t = 2_000
        while waitpid(pid, &status, WNOHANG) == 0 {
            if SystemClock.monotonicMilliseconds() >= deadline {
                kill(-pid, SIGKILL)
                waitpid(pid, &status, 0)
                return .failed(
                    errorType: "timeout_error", message: "Processing exceeded the timeout of \(item.timeoutSeconds) seconds",
                    details: ["timeout": .integer(item.timeoutSeconds)])
            }
            if control.shouldStop() {
                kill(-pid, SIGKILL)
                waitpid(pid, &status, 0)
                return .failed(errorType: "processing_error", message: "Stopped: the item was cancelled", details: nil)
            }
            usleep(pause)
            pause = min(pause * 2, 50_000)
        }
        // Children the command left behind in its group go with it.
        kill(-pid, SIGKILL)
        switch ProcessLauncher.Exit(waitStatus: status) {
        case .status(0): break
        case .status(let code):
            return .failed(
                errorType: "processing_error", message: "\(name) exited with status \(code)",
                details: ["exit_status": .integer(code), "stderr": .string(Self.tail(of: errorPath))])
        case .signal(let number):
            // Killed under the item (not by batchd: that is a timeout or a cancel,
            // handled above): run once more; a second death fails it for good.
            return .crashed(errorType: "processing_error", message: "\(name) was killed by signal \(number) while processing this item")
        }
        return Self.outcome(fromOutputAt: outputPath, processor: name)
    }

    /// Kills the process groups of commands a previous batchd left running (it was
    /// killed before it could), so their items, rescued later, never run twice at
    /// once. Only groups whose leader still runs one of `programs` are touched.
    public static func killOrphans(workDirectory: String, programs: Set<String>) -> Int {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: workDirectory) else { return 0 }
        var killed = 0
        for name in names {
            let path = workDirectory + "/" + name
            if name.hasSuffix(".pgid"), let text = try? String(contentsOfFile: path, encoding: .utf8), let pid = pid_t(text), pid > 1,
                let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"),
                let program = cmdline.split(separator: 0).first.map({ String(decoding: $0, as: UTF8.self) }), programs.contains(program)
            {
                kill(-pid, SIGKILL)
                killed += 1
            }
            unlink(path)
        }
        return killed
    }

    /// Reads the command's JSON output and its `usage`.
    static func outcome(fromOutputAt path: String, processor: String) -> ItemOutcome {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let size = attributes[.size] as? Int, size <= maxOutputBytes,
            let data = FileManager.default.contents(atPath: path)
        else {
            return .failed(errorType: "processing_error", message: "\(processor) wrote no output or more than \(maxOutputBytes) bytes", details: nil)
        }
        let result: JSONValue
        do {
            result = try JSONParser.parse(Array(data))
        } catch {
            return .failed(errorType: "processing_error", message: "\(processor) did not write JSON: \(error)", details: nil)
        }
        var usage = Usage.none
        if let reported = result["usage"] {
            usage = Usage(
                costCents: max(0, reported["cost_cents"]?.intValue ?? 0), inputTokens: max(0, reported["input_tokens"]?.intValue ?? 0),
                outputTokens: max(0, reported["output_tokens"]?.intValue ?? 0))
        }
        return .succeeded(result: result, mediaType: nil, usage: usage)
    }

    static func tail(of path: String, bytes: Int = 2000) -> String {
        guard let data = FileManager.default.contents(atPath: path) else { return "" }
        return String(decoding: data.suffix(bytes), as: UTF8.self)
    }

    private func spawn(item: ClaimedItem, input: ProcessLauncher.Stream, output: String, errors: String) throws(ProcessLauncher.Failure) -> pid_t {
        var environment = [
            "PATH=/usr/local/bin:/usr/bin:/bin", "BATCHD_ITEM_ID=\(item.id)", "BATCHD_BATCH_ID=\(item.batchID)", "BATCHD_ATTEMPT=\(item.attempt)",
        ]
        if let filename = item.filename { environment.append("BATCHD_FILENAME=\(filename)") }
        if let customID = item.customID { environment.append("BATCHD_CUSTOM_ID=\(customID)") }
        if let context = item.context { environment.append("BATCHD_CONTEXT=\(context)") }
        // Its own process group, so a timeout kills everything it started.
        return try ProcessLauncher.spawn(
            command, environment: environment,
            streams: (input, .file(output, flags: O_WRONLY | O_CREAT | O_TRUNC), .file(errors, flags: O_WRONLY | O_CREAT | O_TRUNC)))
    }
}
