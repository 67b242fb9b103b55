import ArgumentParser
import BatchClient
import Foundation

/// `batchcli results ID`: streams the batch's results (JSONL or CSV) to a file
/// or standard output in constant memory. An output file that already holds a
/// part is continued with `Range` (a server that sends it whole again starts
/// the file over). The answer's `X-Batch-Complete` and `X-Results-Cursor` are
/// reported, so a running batch's results can be fetched in parts (`--after`).
struct ResultsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "results", abstract: "Download a batch's results.",
        discussion: """
            batchcli results batch-abc123 -o results.jsonl      # run it again to resume
            batchcli results batch-abc123 --format csv --state failed > failed.csv
            batchcli results batch-abc123 --state finished --after 4 >> so-far.jsonl
            """)

    @OptionGroup var options: ClientOptions
    @Argument(help: "The batch id.") var batchID: String
    @Option(name: [.short, .customLong("output-file")], help: "Write to this file (resumed when it holds a part) instead of standard output.")
    var outputFile: String?
    @Option(help: "jsonl or csv.") var format: String = "jsonl"
    @Option(help: "failed: only the failed items; finished: every finished item, not held back by unfinished ones (its cursor is a seal).")
    var state: String?
    @Option(help: "Start after this X-Results-Cursor.") var after: Int?

    func run() throws {
        try reporting {
            guard ["jsonl", "csv"].contains(format) else { throw CLIFailure(.usage("--format must be jsonl or csv")) }
            let client = try options.client()
            var query: [String] = []
            if let state { query.append("state=" + BatchPath.escaped(state)) }
            if let after { query.append("after=\(after)") }
            let path = "/v1/batches/\(BatchPath.escaped(batchID))/results.\(format)" + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
            let sink = try ResultsSink(path: outputFile)
            var headers: [String: String] = [:]
            if sink.existingBytes > 0 { headers["Range"] = "bytes=\(sink.existingBytes)-" }
            let response = try client.download(path, headers: headers) { status, data in sink.write(data, status: status) }
            try sink.finish()
            if response.status == 416, sink.existingBytes > 0 {
                report(bytes: sink.existingBytes, response: response, note: "already complete")
                return
            }
            _ = try response.requireSuccess()
            report(bytes: sink.totalBytes, response: response, note: response.status == 206 ? "resumed" : nil)
        }
    }

    func report(bytes: Int64, response: ClientResponse, note: String?) {
        let complete = response.headers["x-batch-complete"] ?? "true"
        let cursor = response.headers["x-results-cursor"] ?? ""
        if options.output == .json {
            var line: [String: Any] = ["batch_id": batchID, "bytes": bytes, "complete": complete == "true", "cursor": Int(cursor) ?? 0]
            if let outputFile { line["file"] = outputFile }
            if let note { line["note"] = note }
            Console.error(Console.jsonLine(line))
        } else if outputFile != nil || Console.errorIsTerminal {
            let more =
                complete == "true" ? "" : "; the batch is still running: continue with\(state.map { " --state " + $0 } ?? "") --after \(cursor)"
            Console.error("\(bytes) bytes\(note.map { " (\($0))" } ?? "")\(more)")
        }
    }
}

/// Where a download's bytes go: standard output, or a file appended to when a
/// part is there already (and started over when the server sends it whole).
final class ResultsSink: @unchecked Sendable {
    let path: String?
    let existingBytes: Int64
    private var handle: FileHandle?
    private var started = false
    private(set) var totalBytes: Int64 = 0

    init(path: String?) throws {
        self.path = path
        guard let path else {
            existingBytes = 0
            return
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? 0
        existingBytes = size
        if size == 0 { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        guard let handle = FileHandle(forWritingAtPath: path) else { throw CLIFailure(.io("cannot write \(path)")) }
        self.handle = handle
        totalBytes = size
    }

    func write(_ data: Data, status: Int) {
        guard path != nil, let handle else {
            Console.raw(data)
            totalBytes += Int64(data.count)
            return
        }
        if !started {
            started = true
            if status == 206 {
                _ = handle.seekToEndOfFile()
            } else {
                handle.truncateFile(atOffset: 0)
                totalBytes = 0
            }
        }
        handle.write(data)
        totalBytes += Int64(data.count)
    }

    func finish() throws {
        try? handle?.close()
    }
}
