import BatchModel
import Foundation
import Testing

/// Live responses through nginx compared with the example documents of the spec
/// pages, key by key and type by type: every key the page shows is there, with a
/// value of the same JSON type (null standing for "not yet" on either side).
@Suite(.serialized) struct SpecShapeTests {
    /// The first JSON object in a spec page after `marker`.
    static func example(_ file: String, after marker: String) throws -> JSONValue {
        let url = URL(fileURLWithPath: TestStack.repositoryRoot).deletingLastPathComponent().appendingPathComponent("shared/spec/\(file)")
        // The spec pages live beside the repository (../shared/spec), as on every developer's machine and CI's.
        try #require(FileManager.default.fileExists(atPath: url.path), "spec page not found at \(url.path): ../shared must sit beside the repository")
        let text = try String(contentsOf: url, encoding: .utf8)
        let start = try #require(text.range(of: marker)).upperBound
        let open = try #require(text[start...].firstIndex(of: "{"))
        var depth = 0
        var inString = false
        var escaped = false
        var end = open
        for index in text[open...].indices {
            let character = text[index]
            if inString {
                if escaped { escaped = false } else if character == "\\" { escaped = true } else if character == "\"" { inString = false }
                continue
            }
            if character == "\"" { inString = true } else if character == "{" { depth += 1 } else if character == "}" {
                depth -= 1
                if depth == 0 { end = index; break }
            }
        }
        return try JSONParser.parse(String(text[open...end]))
    }

    /// Objects whose keys are data (media types, a client's configuration, its
    /// context), not fields: only their being objects is compared.
    static let openMaps: Set<String> = ["by_type", "media_ids_by_type", "methodsConfig", "context", "details"]

    /// Differences between the spec's example and a live document, as readable paths.
    static func differences(_ spec: JSONValue, _ live: JSONValue, path: String = "$") -> [String] {
        if let last = path.split(separator: ".").last, openMaps.contains(String(last)) {
            if case .object = spec, case .object = live { return [] }
        }
        switch (spec, live) {
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
        let created = try stack.sendJSON("POST", "/v1/batches", key: stack.clientKey, #"{"batch_name":"shapes","collection":"c","items":[{"content_base64":"\#(png)","filename":"a.png","custom_id":"x:0"},{"content_base64":"AAECAw==","filename":"b.xlsx"},{"content":"words here","filename":"c.txt"}],"context":{"source":"test"},"configuration":{"max_concurrent":2}}"#)
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
        let running = try make(#"{"processor":"exec:flaky","configuration":{"max_concurrent":1},"items":[{"content":"bad"},{"content":"slow"},{"content":"slow"}]}"#)
        try stack.waitUntil(seconds: 60, "a running batch with a failure") {
            let data = (try? stack.get("/v1/batches/\(running)", key: stack.clientKey))?.json["data"] as? [String: Any]
            return data?["status"] as? String == "running" && (data?["progress"] as? [String: Any])?["failed"] as? Int == 1
                && (data?["progress"] as? [String: Any])?["processing"] as? Int == 1
        }
        var cases: [(file: String, marker: String, path: String)] = []
        for batch in [id, running, accumulating, cancelled, invalid] {
            cases += [
                ("000_98ac0c9924c86490.txt", "Success Response (200 OK)", "/v1/batches/\(batch)?include_job_details=true"),
                ("001_abefa6c5d98237cc.txt", "Success Response (200 OK)", "/v1/batches/\(batch)/results"),
                ("002_ca0f4466852f39af.txt", "Success Response (200)", "/v1/batch/\(batch)"),
                ("002_ca0f4466852f39af.txt", "Success Response (200)", "/compat/check/v1/batch/\(batch)"),
                ("004_ce2118101a999fec.txt", "Response fields", "/compat/talonic/v1/batches/\(batch)"),
            ]
        }
        for (file, marker, path) in cases {
            let spec = try Self.example(file, after: marker)
            let live = try stack.get(path, key: stack.clientKey)
            #expect(live.status == 200, "\(path)")
            let document = try JSONParser.parse(live.body)
            let found = Self.differences(spec, document)
            #expect(found.isEmpty, "\(path) against \(file): \(found)")
        }
    }
}
