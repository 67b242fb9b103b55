import BatchModel
import BatchStore
import Foundation
import IngestInspection
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Files and items built to take batchd down, sent through nginx to the real
/// stack: each must fail only its own item, with the documented error, while
/// batchd (same pid) and the batch's other items carry on.
@Suite(.serialized) struct HostileInputTests {
    static let good = Array("two words\nand three more\n".utf8)

    @Test func hostileFilesFailOnlyThemselves() throws {
        let stack = try TestStack()
        defer { stack.stop() }
        let pid = try #require(stack.batchd?.pid)
        let created = try stack.upload([
            ("evil.mp4", HostileFiles.mp4HugeBox),
            // 256 MiB of XML in about 260 KB.
            ("bomb.docx", HostileFiles.docxBomb(inflated: 256 << 20)),
            ("many.docx", HostileFiles.manyEntries(100_000)),
            ("good.txt", Self.good), ("also-good.txt", Self.good + Self.good),
        ])
        #expect(created.status == 201, "\(created.text)")
        let id = try #require((created.json["data"] as? [String: Any])?["batch_id"] as? String)
        try stack.waitForStatus(id, ["completed"], seconds: 60)
        let outcomes = try stack.itemOutcomes(id)
        #expect(outcomes["evil.mp4"]?.error == "corrupted_file")
        #expect(outcomes["bomb.docx"]?.error == "resource_error")
        #expect(outcomes["many.docx"]?.error == "resource_error")
        #expect(outcomes["good.txt"]?.status == "succeeded")
        #expect(outcomes["also-good.txt"]?.status == "succeeded")
        #expect(stack.batchd?.pid == pid && stack.batchd?.exitStatus() == nil, "batchd did not survive")
        // Inspection streams: neither batchd nor its helper came near the bomb's 256 MiB.
        let batchdPeak = try #require(stack.batchdPeakMemoryKB())
        #expect(batchdPeak < 150 << 10, "batchd peaked at \(batchdPeak) kB")
        if let helperPeak = stack.helperPeakMemoryKB() {
            #expect(helperPeak < 100 << 10, "the inspection helper peaked at \(helperPeak) kB")
        }
        // Helpers run at a lower CPU priority than batchd's request threads.
        let helpers = stack.helperProcesses()
        #expect(!helpers.isEmpty)
        let batchdNice = try #require(TestStack.niceness(of: pid))
        for helper in helpers {
            #expect(TestStack.niceness(of: helper.pid) == min(19, batchdNice + Int(InspectionService.niceness)))
        }
    }

    @Test func aHelperThatDiesFailsItsItemAfterOneRetry() throws {
        let stack = try TestStack()
        defer { stack.stop() }
        let pid = try #require(stack.batchd?.pid)
        let created = try stack.upload([("crash.bin", Array(TestFault.crash.utf8)), ("good.txt", Self.good), ("second.txt", Self.good + [0x41])])
        #expect(created.status == 201, "\(created.text)")
        let id = try #require((created.json["data"] as? [String: Any])?["batch_id"] as? String)
        try stack.waitForStatus(id, ["completed"], seconds: 30)
        let outcomes = try stack.itemOutcomes(id)
        #expect(outcomes["crash.bin"]?.error == "processing_error")
        #expect(outcomes["good.txt"]?.status == "succeeded")
        #expect(outcomes["second.txt"]?.status == "succeeded")
        let status = try stack.get("/v1/batches/\(id)?include_job_details=true", key: stack.clientKey)
        #expect(status.text.contains("The file inspector died on this file"), "\(status.text)")
        #expect(stack.batchd?.pid == pid && stack.batchd?.exitStatus() == nil, "batchd did not survive")
        // Killed twice, exactly: one retry, no more.
        let db = try SQLiteConnection(path: stack.directory + "/var/batchd.sqlite3", readOnly: true)
        #expect(try db.statement("SELECT crashes, attempt FROM items WHERE filename = 'crash.bin'").firstRow { "\($0.int(0)) \($0.int(1))" } == "2 2")
    }

    @Test func anItemThatCrashesBatchdTwiceIsFailedForGood() throws {
        var options = TestStack.Options()
        options.extraArguments = ["--lease-seconds", "2", "--rescue-seconds", "1"]
        let stack = try TestStack(options)
        defer { stack.stop() }
        let items =
            #"[{"content":"\#(TestFault.crash)","custom_id":"poison"},{"content":"fine","custom_id":"a"},{"content":"fine too","custom_id":"b"}]"#
        let id = try stack.createBatch(#"{"processor":"noop","items":\#(items)}"#)
        // The noop processor traps on the poison item: batchd dies, is restarted, dies again.
        for death in 1...2 {
            let status = try #require(stack.batchd?.wait(seconds: 20), "batchd did not die (death \(death))")
            #expect(status > 128, "batchd exited with \(status), not by a signal")
            #expect(stack.readLog("batchd.log").isEmpty == false)
            try stack.startBatchd(waitForSocket: death == 2)
        }
        try stack.waitForStatus(id, ["completed"], seconds: 30)
        #expect(stack.batchd?.exitStatus() == nil, "batchd died a third time")
        let outcomes = try stack.itemOutcomes(id)
        #expect(outcomes["poison"]?.error == "processing_error")
        #expect(outcomes["a"]?.status == "succeeded")
        #expect(outcomes["b"]?.status == "succeeded")
        #expect(stack.readLog("batchd.log").contains("items running when batchd last crashed"))
    }

    /// Bodies that were quadratic, silently truncated names, or took the server's
    /// time: each a 400 through nginx, batchd unchanged, nothing stored.
    @Test func hostileBodiesAreRefusedCheaply() throws {
        let stack = try TestStack()
        defer { stack.stop() }
        let pid = try #require(stack.batchd?.pid)
        let manyKeys = "{" + (0..<40_000).map { #""k\#($0)":\#($0)"# }.joined(separator: ",") + "}"
        let cases: [(String, HTTPResult, String)] = [
            (
                "40,000 keys in one object",
                try stack.sendJSON(
                    "POST", "/v1/batches", key: stack.clientKey, #"{"processor":"noop","items":[{"content":"a","context":\#(manyKeys)}]}"#),
                "items[0].context"
            ),
            ("40,000 keys at the top", try stack.sendJSON("POST", "/v1/batches", key: stack.clientKey, manyKeys), ""),
            (
                "a duplicate key",
                try stack.sendJSON(
                    "POST", "/v1/batches", key: stack.clientKey, #"{"processor":"noop","processor":"noop","items":[{"content":"a"}]}"#), "processor"
            ),
            (
                "200,000 CSV columns",
                try stack.send(
                    "POST", "/v1/batches?processor=noop", key: stack.clientKey, headers: ["Content-Type": "text/csv"],
                    body: Array(
                        ("content," + (0..<200_000).map { "context.c\($0)" }.joined(separator: ",") + "\nx" + String(repeating: ",v", count: 200_000)
                            + "\n").utf8)), ""
            ),
            (
                "an NDJSON line of 40,000 keys",
                try stack.send(
                    "POST", "/v1/batches?processor=noop", key: stack.clientKey, headers: ["Content-Type": "application/x-ndjson"],
                    body: Array((manyKeys + "\n").utf8)), ""
            ),
            (
                "a NUL in batch_name",
                try stack.sendJSON(
                    "POST", "/v1/batches", key: stack.clientKey, #"{"processor":"noop","batch_name":"a\u0000b","items":[{"content":"a"}]}"#),
                "batch_name"
            ),
            ("a NUL in an uploaded filename", try stack.upload([("evil\u{0}.txt", Self.good)]), "file"),
        ]
        for (what, result, field) in cases {
            #expect(result.status == 400, "\(what): \(result.status) \(result.text.prefix(300))")
            #expect(result.json["code"] as? String == "validation_error", "\(what)")
            if !field.isEmpty {
                let details = result.json["details"] as? [String: Any]
                #expect(details?["field"] as? String == field || details?["key"] as? String == field, "\(what): \(result.text.prefix(300))")
            }
        }
        let list = try stack.get("/v1/batches", key: stack.clientKey)
        #expect((list.json["data"] as? [Any])?.isEmpty == true, "something was stored: \(list.text.prefix(300))")
        // A well-behaved create still works, on the same process, which stayed small.
        #expect(try stack.sendJSON("POST", "/v1/batches", key: stack.clientKey, #"{"processor":"noop","items":[{"content":"a"}]}"#).status == 201)
        #expect(stack.batchd?.pid == pid && stack.batchd?.exitStatus() == nil, "batchd did not survive")
        let peak = try #require(stack.batchdPeakMemoryKB())
        #expect(peak < 200 << 10, "batchd peaked at \(peak) kB")
    }
}
