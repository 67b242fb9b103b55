import BatchStore
import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `results.jsonl` / `results.csv` through nginx: a large batch downloaded
/// whole and in two `Range` halves gives the same bytes; a download of more
/// than 1 GB of results leaves batchd's memory where it was; a running batch's
/// finished prefix, then the rest from its cursor, gives every item once.
@Suite(.serialized) struct ResultsStreamTests {
    /// Downloads with curl into `file` and returns the answer's headers (lower-cased names).
    func download(_ stack: TestStack, _ path: String, to file: String, headers: [String] = []) throws -> (status: Int, headers: [String: String]) {
        let headerFile = file + ".headers"
        var arguments = ["-sS", "-o", file, "-D", headerFile, "-H", "X-Api-Key: \(stack.clientKey)"]
        for header in headers { arguments += ["-H", header] }
        _ = try stack.run("/usr/bin/curl", arguments + ["http://127.0.0.1:\(stack.port)\(path)"], seconds: 300)
        let lines = try String(contentsOfFile: headerFile, encoding: .utf8).split(separator: "\r\n")
        let status = Int(lines.first?.split(separator: " ").dropFirst().first ?? "") ?? 0
        var fields: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return (status, fields)
    }

    func createAndFinish(_ stack: TestStack, items: Int, processor: String = "noop", seconds: Double = 300) throws -> String {
        let id = try stack.createBatch(items: items, processor: processor, customIDs: true)
        try stack.waitUntil(seconds: seconds, "the batch to complete") {
            guard let answer = try? stack.get("/v1/batches/\(id)?metrics_only=true", key: stack.clientKey) else { return false }
            return (answer.json["data"] as? [String: Any])?["status"] as? String == "completed"
        }
        return id
    }

    @Test func aLargeBatchDownloadsWholeAndInHalvesAlikeAndInConstantMemory() throws {
        var options = TestStack.Options()
        options.extraArguments = ["--max-items", "1000000"]
        let stack = try TestStack(options)
        defer { stack.stop() }
        let items = 200_000
        let id = try createAndFinish(stack, items: items)
        let folder = stack.directory + "/downloads"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)

        // Before any whole download, a range is rendered from the store.
        let path = "/v1/batches/\(id)/results.jsonl"
        let early = try download(stack, path, to: folder + "/early", headers: ["Range: bytes=0-99"])
        #expect(early.status == 206)
        #expect(Self.renderedFiles(stack).isEmpty, "a range download rendered a file")

        let whole = try download(stack, path, to: folder + "/whole.jsonl")
        #expect(whole.status == 200)
        #expect(whole.headers["x-batch-complete"] == "true")
        #expect(whole.headers["x-results-cursor"] == String(items))
        #expect(whole.headers["content-type"]?.hasPrefix("application/x-ndjson") == true)
        let etag = try #require(whole.headers["etag"])
        let bytes = try Data(contentsOf: URL(fileURLWithPath: folder + "/whole.jsonl"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: folder + "/early")) == bytes.prefix(100))
        let lines = bytes.split(separator: UInt8(ascii: "\n"))
        #expect(lines.count == items)
        for (index, line) in lines.enumerated() where index % 997 == 0 || index == items - 1 {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
            #expect(
                object["seq"] as? Int == index + 1 && object["custom_id"] as? String == "c\(index + 1)" && object["status"] as? String == "succeeded")
        }
        // The whole download was kept as a file, which nginx now sends: the same
        // bytes and headers, ranges and validators judged alike.
        #expect(Self.renderedFiles(stack).map(\.size) == [bytes.count])
        let again = try download(stack, path, to: folder + "/again.jsonl")
        #expect(again.status == 200 && again.headers["etag"] == etag && again.headers["x-batch-complete"] == "true")
        #expect(again.headers["x-results-cursor"] == String(items) && again.headers["x-request-id"] != nil)
        #expect(again.headers["content-type"] == whole.headers["content-type"])
        #expect(again.headers["content-disposition"] == whole.headers["content-disposition"])
        #expect(again.headers["x-ratelimit-limit"] != nil && again.headers["x-ratelimit-limit"] == whole.headers["x-ratelimit-limit"])
        #expect(try Data(contentsOf: URL(fileURLWithPath: folder + "/again.jsonl")) == bytes, "the kept file differs from the rendered download")
        #expect(try Self.accessLogStatuses(stack, path).suffix(3) == [206, 200, 200])

        // Two halves, the second guarded by If-Range, give the same bytes.
        let half = bytes.count / 2
        let first = try download(stack, path, to: folder + "/first", headers: ["Range: bytes=0-\(half - 1)"])
        #expect(first.status == 206 && first.headers["content-range"] == "bytes 0-\(half - 1)/\(bytes.count)")
        let second = try download(stack, path, to: folder + "/second", headers: ["Range: bytes=\(half)-", "If-Range: \(etag)"])
        #expect(second.status == 206 && second.headers["content-range"] == "bytes \(half)-\(bytes.count - 1)/\(bytes.count)")
        var joined = try Data(contentsOf: URL(fileURLWithPath: folder + "/first"))
        joined.append(try Data(contentsOf: URL(fileURLWithPath: folder + "/second")))
        #expect(joined == bytes, "the halves differ from the whole")
        // A client that accepts gzip gets it for the whole file, and identity bytes for a range.
        #expect(try download(stack, path, to: folder + "/gzip", headers: ["Accept-Encoding: gzip"]).headers["content-encoding"] == "gzip")
        let zipped = try download(stack, path, to: folder + "/zipped-range", headers: ["Accept-Encoding: gzip", "Range: bytes=0-99"])
        #expect(zipped.status == 206 && zipped.headers["content-encoding"] == nil)
        #expect(try Data(contentsOf: URL(fileURLWithPath: folder + "/zipped-range")) == bytes.prefix(100))
        // A range batchd does not take (nginx would answer some of these itself) or
        // an If-Range date gets the whole, as before the file was kept.
        for headers in [["Range: bytes=-1-1712"], ["Range: bytes=0-1,5-6"], ["Range: bytes=10-", "If-Range: Thu, 03 Dec 2026 10:00:00 GMT"]] {
            let answer = try download(stack, path, to: folder + "/ignored", headers: headers)
            #expect(answer.status == 200 && answer.headers["content-length"] == nil, "\(headers): \(answer.status)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: folder + "/ignored")) == bytes)
        // A stale If-Range gets the whole again; a current ETag gets 304; past the end, 416.
        #expect(try download(stack, path, to: folder + "/stale", headers: ["Range: bytes=10-", "If-Range: \"old\""]).status == 200)
        #expect(try stack.get(path, key: stack.clientKey, headers: ["If-None-Match": etag]).status == 304)
        let past = try stack.get(path, key: stack.clientKey, headers: ["Range": "bytes=\(bytes.count)-"])
        #expect(
            past.status == 416 && past.headers["content-range"] == "bytes */\(bytes.count)" && past.json["code"] as? String == "range_not_satisfiable"
        )
        // Another key's tenant cannot reach the file, and nginx's internal location answers no one directly.
        let (_, otherKey) = try stack.makeTenant("other")
        #expect(try stack.get(path, key: otherKey).status == 404)
        let direct = try stack.get("/.batchd-results/" + (Self.renderedFiles(stack).first?.name ?? "x"), key: stack.clientKey)
        #expect(direct.status == 404 && direct.json["code"] as? String == "not_found")

        // Results of more than 1 GB (5.5 kB each, written into the store with a new
        // version, as any change to a batch's items makes), streamed while batchd's
        // resident memory is sampled.
        let database = try SQLiteConnection(path: stack.directory + "/var/batchd.sqlite3")
        try database.statement("UPDATE items SET result = '\"' || hex(randomblob(2750)) || '\"' WHERE batch_id = ?").bind(.text(id)).run()
        try database.statement("UPDATE batches SET version = version + 1 WHERE id = ?").bind(.text(id)).run()
        let baseline = try #require(stack.batchdResidentMemoryKB())
        let highest = Atomic<Int>(baseline)
        let sampling = Atomic<Bool>(true)
        let sampler = Thread {
            while sampling.load(ordering: .relaxed) {
                if let now = stack.batchdResidentMemoryKB(), now > highest.load(ordering: .relaxed) { highest.store(now, ordering: .relaxed) }
                usleep(20_000)
            }
        }
        sampler.start()
        let large = try download(stack, "/v1/batches/\(id)/results.jsonl", to: folder + "/large.jsonl")
        sampling.store(false, ordering: .relaxed)
        let size = (try FileManager.default.attributesOfItem(atPath: folder + "/large.jsonl")[.size] as? Int) ?? 0
        try? FileManager.default.removeItem(atPath: folder + "/large.jsonl")
        #expect(large.status == 200 && size > 1 << 30, "\(size) bytes")
        let rise = highest.load(ordering: .relaxed) - baseline
        print("results stream: \(size >> 20) MB downloaded; batchd resident memory rose \(rise) kB")
        #expect(rise < 20 << 10, "downloading \(size >> 20) MB raised batchd's memory by \(rise) kB")
        // It was kept in place of the earlier version's file.
        #expect(Self.renderedFiles(stack).map(\.size) == [size])
        // Deleting the batch removes its file.
        #expect(try stack.send("DELETE", "/v1/batches/\(id)", key: stack.clientKey).status == 200)
        #expect(Self.renderedFiles(stack).isEmpty)
    }

    /// `?state=finished` while the first item is slow: the items after it come
    /// as they finish (the finished prefix stays empty meanwhile), and a reader
    /// following the cursor gets every item exactly once, the slow one last.
    @Test func theFinishedViewIsNotHeldBackByASlowItem() throws {
        var options = TestStack.Options()
        options.processors = #"{"exec": {"first-slow": {"command": ["/bin/sh", "-c", "[ \"$BATCHD_CUSTOM_ID\" = c1 ] && sleep 2; echo '{}'"]}}}"#
        let stack = try TestStack(options)
        defer { stack.stop() }
        let id = try stack.createBatch(items: 20, processor: "exec:first-slow", configuration: #"{"max_concurrent":2}"#, customIDs: true)
        var seqs: [Int] = []
        var cursor = 0
        var sawMoreThanThePrefix = false
        try stack.waitUntil(seconds: 60, "every item through the finished view") {
            guard let answer = try? stack.get("/v1/batches/\(id)/results.jsonl?state=finished&after=\(cursor)", key: stack.clientKey),
                answer.status == 200, let next = Int(answer.headers["x-results-cursor"] ?? "")
            else { return false }
            let lines = answer.text.split(separator: "\n").compactMap { line in
                (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["seq"] as? Int
            }
            seqs += lines
            cursor = next
            if !lines.isEmpty, !seqs.contains(1),
                let prefix = try? stack.get("/v1/batches/\(id)/results.jsonl", key: stack.clientKey), prefix.body.isEmpty
            {
                sawMoreThanThePrefix = true
            }
            return answer.headers["x-batch-complete"] == "true" && seqs.count >= 20
        }
        #expect(sawMoreThanThePrefix, "the finished view gave items while the prefix was empty")
        #expect(seqs.sorted() == Array(1...20), "every item once: \(seqs)")
        #expect(seqs.last == 1)
        // A cursor read again gives the same answer; a range of it resumes it.
        let again = try stack.get("/v1/batches/\(id)/results.jsonl?state=finished", key: stack.clientKey)
        #expect(again.text.split(separator: "\n").count == 20)
        let tail = try stack.get("/v1/batches/\(id)/results.jsonl?state=finished", key: stack.clientKey, headers: ["Range": "bytes=100-"])
        #expect(tail.status == 206 && Array(tail.body) == Array(again.body.dropFirst(100)))
    }

    /// The results files batchd kept (not the ones being written).
    static func renderedFiles(_ stack: TestStack) -> [(name: String, size: Int)] {
        let folder = stack.directory + "/var/results"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted().map { name in
            (name, (try? FileManager.default.attributesOfItem(atPath: folder + "/" + name)[.size] as? Int) ?? -1)
        }
    }

    /// The statuses nginx logged for requests of `path`, oldest first.
    static func accessLogStatuses(_ stack: TestStack, _ path: String) throws -> [Int] {
        usleep(1_200_000)  // the access log is flushed every second
        let log = try String(contentsOfFile: stack.directory + "/log/nginx-access.log", encoding: .utf8)
        return log.split(separator: "\n").filter { $0.contains("\"GET \(path) ") }.compactMap { line in
            line.components(separatedBy: "\" ").dropFirst().first?.split(separator: " ").first.flatMap { Int($0) }
        }
    }

    @Test func aRunningBatchGivesItsFinishedPrefixThenTheRestOnce() throws {
        var options = TestStack.Options()
        options.processors = #"{"exec": {"slow": {"command": ["/bin/sh", "-c", "sleep 0.1; echo '{\"ok\": true}'"]}}}"#
        let stack = try TestStack(options)
        defer { stack.stop() }
        let id = try stack.createBatch(items: 30, processor: "exec:slow", configuration: #"{"max_concurrent":1}"#, customIDs: true)
        var partial: HTTPResult?
        try stack.waitUntil(seconds: 30, "a part of the batch to be finished") {
            guard let answer = try? stack.get("/v1/batches/\(id)/results.jsonl", key: stack.clientKey) else { return false }
            partial = answer
            return Int(answer.headers["x-results-cursor"] ?? "") ?? 0 >= 3
        }
        let running = try #require(partial)
        #expect(running.headers["x-batch-complete"] == "false")
        let cursor = try #require(Int(running.headers["x-results-cursor"] ?? ""))
        var seqs = running.text.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["seq"] as? Int
        }
        #expect(seqs == Array(1...cursor), "the prefix is every item up to the cursor")
        try stack.waitUntil(seconds: 60, "the batch to complete") {
            (try? stack.get("/v1/batches/\(id)/results.jsonl?after=\(cursor)", key: stack.clientKey))?.headers["x-batch-complete"] == "true"
        }
        let rest = try stack.get("/v1/batches/\(id)/results.jsonl?after=\(cursor)", key: stack.clientKey)
        seqs += rest.text.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["seq"] as? Int
        }
        #expect(seqs == Array(1...30), "every item once, in order")
        #expect(rest.headers["x-results-cursor"] == "30")

        // The CSV view and the errors-only view; bad parameters are 400s in the envelope.
        let csv = try stack.get("/v1/batches/\(id)/results.csv", key: stack.clientKey)
        #expect(csv.status == 200 && csv.text.split(separator: "\r\n").count == 31 && csv.text.hasPrefix("custom_id,item_id,seq,status,result,"))
        let zipped = try stack.get("/v1/batches/\(id)/results.csv", key: stack.clientKey, headers: ["Accept-Encoding": "gzip"])
        #expect(zipped.status == 200 && zipped.headers["content-encoding"] == "gzip" && zipped.body.count < csv.body.count)
        let failed = try stack.get("/v1/batches/\(id)/results.jsonl?state=failed", key: stack.clientKey)
        #expect(failed.status == 200 && failed.body.isEmpty)
        for bad in ["state=done", "state=all", "after=-1", "after=x", "page=2"] {
            let answer = try stack.get("/v1/batches/\(id)/results.jsonl?\(bad)", key: stack.clientKey)
            #expect(answer.status == 400 && answer.json["code"] as? String == "validation_error", "\(bad): \(answer.status)")
        }
        #expect(try stack.get("/v1/batches/batch-nosuchbatch/results.jsonl", key: stack.clientKey).status == 404)
    }
}
