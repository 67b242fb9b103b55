import BatchCodecs
import BatchModel
import Foundation
import TestSupport
import Testing

/// Live responses through nginx compared with the example documents of the spec
/// pages, key by key and type by type: every key the page shows is there, with a
/// value of the same JSON type (null standing for "not yet" on either side).
@Suite(.serialized) struct SpecShapeTests {
    /// The example document of a spec page, kept in the repository as a fixture
    /// (Tests/IntegrationTests/SpecPages, extracted from the pages by
    /// `extract_examples.py` there), so the suite reads nothing outside the repository.
    static func example(_ fixture: String) throws -> JSONValue {
        let path = TestStack.repositoryRoot + "/Tests/IntegrationTests/SpecPages/" + fixture
        return try JSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
    }

    /// Where the spec pages sit when the repository is checked out beside them.
    static let specPages = URL(fileURLWithPath: TestStack.repositoryRoot).deletingLastPathComponent().appendingPathComponent("shared/spec").path

    /// The fixtures still say what the pages say. A clone on its own has no pages
    /// beside it: nothing to compare then, and the fixtures stand in for them.
    @Test func fixturesMatchTheSpecPagesWhenPresent() throws {
        guard FileManager.default.fileExists(atPath: Self.specPages) else { return }
        let script = TestStack.repositoryRoot + "/Tests/IntegrationTests/SpecPages/extract_examples.py"
        let output = TestStack.repositoryRoot + "/.build/spec-fixtures-check.out"
        do {
            try ChildProcess.bash("python3 \"\(script)\" --check \"\(Self.specPages)\"", outputPath: output)
        } catch {
            Issue.record("fixtures differ from the spec pages: \((try? String(contentsOfFile: output, encoding: .utf8)) ?? "\(error)")")
        }
    }

    /// Objects whose keys are the client's data (its context, an error's details),
    /// not fields: only their being objects is compared. (Media types and Check's
    /// method weights are fields: every key the page shows must be there.)
    static let openMaps: Set<String> = ["context", "details"]

    /// Differences between the spec's example and a live document, as readable paths.
    static func differences(_ spec: JSONValue, _ live: JSONValue, path: String = "$") -> [String] {
        if let last = path.split(separator: ".").last, openMaps.contains(String(last)) {
            if case .object = spec, case .object = live { return [] }
        }
        switch (spec, live) {
        // An object or an array on the page is never null live (a client would index into it).
        case (.object, .null), (.array, .null): return ["\(path) is null where the page shows \(spec)"]
        case (.null, _), (_, .null): return []
        case (.object(let a), .object(let b)):
            return a.pairs.flatMap { pair -> [String] in
                guard let value = b[pair.key] else { return ["\(path).\(pair.key) is missing"] }
                return differences(pair.value, value, path: "\(path).\(pair.key)")
            }
        case (.array(let a), .array(let b)):
            guard let first = a.first, let other = b.first else { return [] }
            return differences(first, other, path: "\(path)[0]")
        case (.int, .int), (.int, .double), (.double, .int), (.double, .double), (.bool, .bool), (.string, .string): return []
        default: return ["\(path): \(spec) in the spec, \(live) live"]
        }
    }

    @Test func documentsHaveTheSpecPagesShapes() throws {
        var options = TestStack.Options()
        // Fails an item whose content is "bad" at once; runs any other for 30 s.
        options.processors = #"{"exec": {"flaky": {"command": ["/bin/sh", "-c", "x=$(cat); [ \"$x\" = bad ] && exit 3; sleep 30; echo '{}'"]}}}"#
        let stack = try TestStack(options)
        defer { stack.stop() }
        let png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
        let created = try stack.sendJSON(
            "POST", "/v1/batches", key: stack.clientKey,
            #"{"batch_name":"shapes","collection":"c","items":[{"content_base64":"\#(png)","filename":"a.png","custom_id":"x:0"},{"content_base64":"AAECAw==","filename":"b.xlsx"},{"content":"words here","filename":"c.txt"}],"context":{"source":"test"},"configuration":{"max_concurrent":2}}"#
        )
        let id = try #require((created.json["data"] as? [String: Any])?["batch_id"] as? String)
        try stack.waitUntil(seconds: 20, "completion") {
            ((try? stack.get("/v1/batches/\(id)", key: stack.clientKey))?.json["data"] as? [String: Any])?["status"] as? String == "completed"
        }
        // Other states: running with a failure, accumulating, cancelled, failed validation.
        func make(_ body: String) throws -> String {
            let result = try stack.sendJSON("POST", "/v1/batches", key: stack.clientKey, body)
            return try #require((result.json["data"] as? [String: Any])?["batch_id"] as? String)
        }
        let accumulating = try make(#"{"processor":"noop","submit":false}"#)
        let cancelled = try make(#"{"processor":"noop","submit":false}"#)
        #expect(try stack.send("PUT", "/v1/batches/\(cancelled)/state", key: stack.clientKey).status == 200)
        let invalid = try make(#"{"processor":"noop","items":[{"content":""},{"content":"ok"}]}"#)
        let running = try make(
            #"{"processor":"exec:flaky","configuration":{"max_concurrent":1},"items":[{"content":"bad"},{"content":"slow"},{"content":"slow"}]}"#)
        try stack.waitUntil(seconds: 60, "a running batch with a failure") {
            let data = (try? stack.get("/v1/batches/\(running)", key: stack.clientKey))?.json["data"] as? [String: Any]
            return data?["status"] as? String == "running" && (data?["progress"] as? [String: Any])?["failed"] as? Int == 1
                && (data?["progress"] as? [String: Any])?["processing"] as? Int == 1
        }
        var cases: [(file: String, path: String)] = []
        for batch in [id, running, accumulating, cancelled, invalid] {
            cases += [
                ("000_status.json", "/v1/batches/\(batch)?include_job_details=true"),
                ("001_results.json", "/v1/batches/\(batch)/results"),
                ("002_check_batch.json", "/v1/batch/\(batch)"),
                ("002_check_batch.json", "/compat/check/v1/batch/\(batch)"),
                ("004_talonic_batch.json", "/compat/talonic/v1/batches/\(batch)"),
            ]
        }
        for (file, path) in cases {
            let spec = try Self.example(file)
            let live = try stack.get(path, key: stack.clientKey)
            #expect(live.status == 200, "\(path)")
            let document = try JSONParser.parse(live.body)
            let found = Self.differences(spec, document)
            #expect(found.isEmpty, "\(path) against \(file): \(found)")
        }
    }
}
