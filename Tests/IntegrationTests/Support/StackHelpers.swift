import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

extension TestStack {
    /// Sets a running process's file-size limit (`RLIMIT_FSIZE`), or lifts it with nil:
    /// with 0 every write to a file fails with EFBIG, a disk that takes no writes
    /// even for root. (util-linux's `prlimit`: Glibc's prlimit() is not imported.)
    func limitFileSize(of pid: pid_t, to bytes: UInt64?) throws {
        try shell("prlimit --pid \(pid) --fsize=\(bytes.map(String.init) ?? "unlimited"):unlimited")
    }

    /// Creates a batch and returns its id.
    func createBatch(_ json: String, key: String? = nil) throws -> String {
        let created = try sendJSON("POST", "/v1/batches", key: key ?? clientKey, json)
        guard let id = (created.json["data"] as? [String: Any])?["batch_id"] as? String else {
            throw StackError.command("create failed: \(created.status) \(created.text)")
        }
        return id
    }

    /// Creates a batch of `count` items (`item N`, with custom ids `cN` when asked)
    /// and returns its id; `configuration` is the create body's JSON object, if any.
    func createBatch(items count: Int, processor: String = "noop", configuration: String? = nil, customIDs: Bool = false) throws -> String {
        let items = (1...count).map { customIDs ? #"{"content":"item \#($0)","custom_id":"c\#($0)"}"# : #"{"content":"item \#($0)"}"# }
        let body =
            #"{"processor":"\#(processor)","items":[\#(items.joined(separator: ","))]"# + (configuration.map { #","configuration":\#($0)"# } ?? "")
            + "}"
        return try createBatch(body)
    }

    /// Creates a batch from a multipart upload of `files` (name, bytes), one item a file.
    func upload(_ files: [(String, [UInt8])], fields: [(String, String)] = [("collection_id", "uploads")]) throws -> HTTPResult {
        try send(
            "POST", "/v1/batches", key: clientKey, headers: ["Content-Type": "multipart/form-data; boundary=XB"],
            body: multipartForm(files, fields: fields))
    }

    /// Every item's `status` and `error.code` by filename, from the results document.
    func itemOutcomes(_ id: String) throws -> [String: (status: String, error: String?)] {
        let results = try get("/v1/batches/\(id)/results?page_size=1000", key: clientKey)
        var outcomes: [String: (status: String, error: String?)] = [:]
        for case let job as [String: Any] in (results.json["data"] as? [String: Any])?["job_results"] as? [Any] ?? [] {
            guard let name = job["filename"] as? String, let status = job["status"] as? String else { continue }
            outcomes[name] = (status, (job["error"] as? [String: Any])?["code"] as? String)
        }
        return outcomes
    }

    /// The status document's `data.status` (nil unless 200).
    func statusWord(_ id: String, key: String? = nil) -> String? {
        ((try? get("/v1/batches/\(id)", key: key ?? clientKey))?.json["data"] as? [String: Any])?["status"] as? String
    }

    func waitForStatus(_ id: String, _ words: Set<String>, seconds: Double = 20, key: String? = nil) throws {
        try waitUntil(seconds: seconds, "\(id) to reach \(words)") { statusWord(id, key: key).map(words.contains) ?? false }
    }

    /// A counter from `/metrics` (process-wide), e.g. `batchd_status_builds_total`.
    func metric(_ name: String) throws -> Double {
        let text = try get("/metrics").text
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
            if let value = Double(line.split(separator: " ").last ?? "") { return value }
        }
        throw StackError.command("no metric \(name) in /metrics")
    }

    /// Another tenant with a client key: (tenant id, key).
    func makeTenant(_ name: String) throws -> (String, String) {
        let id = try batchctl(["tenant", "create", name]).trimmingCharacters(in: .whitespacesAndNewlines)
        let key = try batchctl(["key", "create", "--tenant", name, "--role", "client", "--secret-only"]).trimmingCharacters(
            in: .whitespacesAndNewlines)
        return (id, key)
    }

    /// Sends Redis SIGSTOP / SIGCONT: a Redis that stops answering without closing connections.
    func pauseRedis(_ paused: Bool) throws {
        try shell("kill -\(paused ? "STOP" : "CONT") $(cat \"$STACK/run/redis.pid\")")
    }
}

/// A multipart/form-data body (boundary `XB`): `fields`, then one `file` part per file.
func multipartForm(_ files: [(String, [UInt8])], fields: [(String, String)] = [("collection_id", "uploads")]) -> [UInt8] {
    var body: [UInt8] = []
    for (name, value) in fields {
        body += Array("--XB\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
    }
    for (name, bytes) in files {
        body += Array(
            "--XB\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(name)\"\r\nContent-Type: application/octet-stream\r\n\r\n".utf8)
        body += bytes + Array("\r\n".utf8)
    }
    return body + Array("--XB--\r\n".utf8)
}

/// Runs `body` on `count` threads at once (not the cooperative pool: every
/// call really is in flight together) and returns the results in order.
func concurrently<T: Sendable>(_ count: Int, _ body: @escaping @Sendable (Int) -> T) -> [T] {
    let results = Mutex<[Int: T]>([:])
    let group = DispatchGroup()
    for index in 0..<count {
        group.enter()
        let thread = Thread {
            let value = body(index)
            results.withLock { $0[index] = value }
            group.leave()
        }
        thread.stackSize = 1 << 20
        thread.start()
    }
    group.wait()
    return results.withLock { all in (0..<count).map { all[$0]! } }
}

extension HTTPResult {
    var metadata: [String: Any] { json["metadata"] as? [String: Any] ?? [:] }
    var cacheTTL: Int? { metadata["cache_ttl"] as? Int }
    var cacheRemaining: Int? { metadata["cache_remaining"] as? Int }
    var xCache: String? { headers["x-cache"] }
}

/// Requests from many threads only read `port` and the keys, which never change
/// after start; the process handles are touched by the test's own thread only.
extension TestStack: @unchecked Sendable {}
