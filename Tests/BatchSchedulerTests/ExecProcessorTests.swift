import BatchModel
import Foundation
import Testing

@testable import BatchScheduler

@Suite struct ExecProcessorTests {
    let folder: String

    init() throws {
        folder = NSTemporaryDirectory() + "batchd-exec-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    func processor(_ script: String) -> ExecProcessor {
        ExecProcessor(name: "test", command: ["/bin/sh", "-c", script], workDirectory: folder)
    }

    func item(_ content: String, timeout: Int = 10) -> ClaimedItem {
        ClaimedItem(
            id: "job-\(UUID().uuidString.prefix(8).lowercased())", batchID: "batch-x", tenantID: "ten-x", seq: 1, attempt: 1, leaseOwner: "w",
            processor: "exec:test", collection: "default", timeoutSeconds: timeout, content: Array(content.utf8), filePath: nil,
            filename: "in.txt", customID: "c1", context: #"{"k":"v"}"#)
    }

    @Test func outputIsTheResultAndUsageIsReported() {
        let outcome = processor(
            #"n=$(wc -c); printf '{"bytes": %d, "custom_id": "%s", "usage": {"cost_cents": 3, "input_tokens": 7, "output_tokens": 2}}' "$n" "$BATCHD_CUSTOM_ID""#
        )
        .process(item("hello"), control: .never)
        guard case .succeeded(let result, _, let usage, _) = outcome else {
            Issue.record("expected success, got \(outcome)")
            return
        }
        #expect(result?["bytes"] == 5)
        #expect(result?["custom_id"] == "c1")
        #expect(usage == Usage(costCents: 3, inputTokens: 7, outputTokens: 2))
    }

    @Test func failuresSayWhy() {
        guard case .failed(let type, _, let details) = processor("echo broken >&2; exit 3").process(item("x"), control: .never) else {
            Issue.record("expected failure")
            return
        }
        #expect(type == "processing_error")
        #expect(details?["exit_status"] == 3)
        #expect(details?["stderr"]?.stringValue?.contains("broken") == true)
        guard case .failed(_, let message, _) = processor("echo not json").process(item("x"), control: .never) else {
            Issue.record("expected failure")
            return
        }
        #expect(message.contains("did not write JSON"))
    }

    @Test func timeoutKillsTheWholeProcessGroup() throws {
        let marker = folder + "/survivor"
        let started = Date()
        let outcome = processor("(sleep 1.5; touch \(marker)) & sleep 30").process(item("x", timeout: 1), control: .never)
        guard case .failed(let type, _, _) = outcome else {
            Issue.record("expected timeout")
            return
        }
        #expect(type == "timeout_error")
        #expect(Date().timeIntervalSince(started) < 1.5)
        usleep(1_200_000)
        #expect(!FileManager.default.fileExists(atPath: marker), "a child of the command outlived the timeout")
    }

    @Test func stopsWhenToldTo() {
        let started = Date()
        let outcome = processor("sleep 30").process(item("x"), control: ProcessingControl { Date().timeIntervalSince(started) > 0.3 })
        guard case .failed = outcome else {
            Issue.record("expected a stop")
            return
        }
        #expect(Date().timeIntervalSince(started) < 2)
    }

    @Test func registryReadsExecEntries() throws {
        let path = folder + "/processors.json"
        try #"{"exec": {"upper": {"command": ["/usr/bin/tr", "a-z", "A-Z"]}, "wc_2": {"command": ["/usr/bin/wc"]}}}"#.write(
            toFile: path, atomically: true, encoding: .utf8)
        let loaded = try ProcessorRegistry.load(path: path, workDirectory: folder)
        #expect(loaded.map(\.name) == ["exec:upper", "exec:wc_2"])
        #expect(loaded[0].command == ["/usr/bin/tr", "a-z", "A-Z"])
        for bad in [#"{"exec": {"x y": {"command": ["/bin/true"]}}}"#, #"{"exec": {"x": {"command": ["true"]}}}"#, #"{"other": {}}"#, "nope"] {
            try bad.write(toFile: path, atomically: true, encoding: .utf8)
            #expect(throws: ProcessorRegistry.Problem.self) { try ProcessorRegistry.load(path: path, workDirectory: folder) }
        }
    }
}
