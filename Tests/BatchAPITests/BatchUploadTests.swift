import BatchCodecs
import BatchModel
import BatchStore
import Foundation
import Testing

@testable import BatchAPI

/// Wickson's multipart form through the API pipeline, streamed in small pieces.
@Suite struct BatchUploadTests {
    static func form(_ parts: [(name: String, filename: String?, content: [UInt8])]) -> [UInt8] {
        var body: [UInt8] = []
        for part in parts {
            var header = "--B0undary\r\nContent-Disposition: form-data; name=\"\(part.name)\""
            if let filename = part.filename { header += "; filename=\"\(filename)\"\r\nContent-Type: application/octet-stream" }
            body += Array((header + "\r\n\r\n").utf8) + part.content + Array("\r\n".utf8)
        }
        return body + Array("--B0undary--\r\n".utf8)
    }

    func upload(_ f: ApplicationFixture, _ body: [UInt8], headers: [String: String] = [:]) -> (HTTPResponse, JSONValue) {
        var all = headers
        all["x-api-key"] = f.clientKey
        all["content-type"] = "multipart/form-data; boundary=B0undary"
        let request = HTTPRequest(
            method: "POST", path: "/v1/batches", headers: HTTPHeaders(all), requestID: "r", bodyStream: InMemoryBodyStream(body, chunk: 997),
            declaredBodyLength: body.count)
        let response = f.app.respond(to: request)
        return (response, (try? JSONParser.parse(response.body)) ?? .null)
    }

    func blobs(_ f: ApplicationFixture) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: f.folder)) ?? []).filter { $0.hasSuffix(".blob") }
    }

    @Test func filesBecomeItemsInTheBlobStore() throws {
        let f = try ApplicationFixture(
            batchLimits: {
                var l = BatchLimits()
                l.processors = ["ingest", "noop"]
                return l
            }())
        let body = Self.form([
            ("collection_id", nil, Array("reports".utf8)), ("batch_name", nil, Array("Monthly".utf8)),
            ("batch_options", nil, Array(#"{"max_concurrent": 3, "priority": "high"}"#.utf8)), ("force_overwrite", nil, Array("true".utf8)),
            ("file", "a.txt", Array("first file".utf8)), ("file", "b.bin", [UInt8](repeating: 7, count: 100_000)),
        ])
        let (response, document) = upload(f, body)
        #expect(response.status == 201, "\(document)")
        #expect(document["data"]?["collection"] == "reports")
        #expect(document["data"]?["batch_name"] == "Monthly")
        #expect(document["data"]?["processor"] == "ingest")
        #expect(document["data"]?["total_items"] == 2)
        let id = try #require(document["data"]?["batch_id"]?.stringValue)
        let rows = try f.connection.statement("SELECT filename, file_path, blob_path, size_bytes FROM items WHERE batch_id = ? ORDER BY seq").bind(
            .text(id)
        )
        .rows { ($0.text(0), $0.text(1), $0.optionalText(2), $0.int(3)) }
        #expect(rows.map(\.0) == ["a.txt", "b.bin"])
        #expect(rows.map(\.3) == [10, 100_000])
        #expect(rows.allSatisfy { $0.1 == $0.2 })
        #expect(FileManager.default.contents(atPath: rows[0].1) == Data("first file".utf8))
        let batch = try #require(try BatchRecords(f.connection).find(id: id))
        #expect(batch.configuration.maxConcurrent == 3)
        #expect(batch.totalBytes == 100_010)

        _ = f.send("PUT", "/v1/batches/\(id)/state", key: f.clientKey)
        #expect(f.send("DELETE", "/v1/batches/\(id)", key: f.clientKey).0.status == 200)
        #expect(blobs(f).isEmpty, "deleting the batch removes its uploads")
    }

    @Test func refusedUploadsLeaveNothingBehind() throws {
        let f = try ApplicationFixture(
            batchLimits: {
                var l = BatchLimits()
                l.maxUploadFiles = 2
                l.maxUploadBytes = 50_000
                l.processors = ["ingest"]
                return l
            }())
        let cases: [([UInt8], Int)] = [
            (Self.form([("file", "a", [1]), ("file", "b", [2]), ("file", "c", [3])]), 413),
            (Self.form([("file", "a", [UInt8](repeating: 0, count: 60_000))]), 413),
            (Self.form([("file", "a", [1]), ("colour", nil, Array("red".utf8))]), 400),
            (Self.form([("file", "a", [1]), ("batch_options", nil, Array("not json".utf8))]), 400),
            (Self.form([("file", "a", [1]), ("force_overwrite", nil, Array("maybe".utf8))]), 400),
            (Self.form([("collection_id", nil, Array("x".utf8))]), 400),
            (Array(Self.form([("file", "a", [1, 2, 3])]).dropLast(20)), 400),
        ]
        for (body, status) in cases {
            let (response, document) = upload(f, body)
            #expect(response.status == status, "\(document)")
            #expect(blobs(f).isEmpty)
        }
        #expect(try f.connection.statement("SELECT count(*) FROM batches").firstRow { $0.int(0) } == 0)
    }

    @Test func idempotentUploadsStoreOneCopy() throws {
        let f = try ApplicationFixture(
            batchLimits: {
                var l = BatchLimits()
                l.processors = ["ingest"]
                return l
            }())
        let body = Self.form([("file", "a.txt", Array("same".utf8))])
        #expect(upload(f, body, headers: ["idempotency-key": "u1"]).0.status == 201)
        let (again, _) = upload(f, body, headers: ["idempotency-key": "u1"])
        #expect(again.header("Idempotent-Replayed") == "true")
        #expect(blobs(f).count == 1)
        let other = Self.form([("file", "a.txt", Array("different".utf8))])
        #expect(upload(f, other, headers: ["idempotency-key": "u1"]).0.status == 409)
        #expect(blobs(f).count == 1)
    }

    @Test func perTypeLimitsRefuseOversizedFiles() throws {
        let f = try ApplicationFixture(
            batchLimits: {
                var l = BatchLimits()
                l.processors = ["ingest"]
                return l
            }())
        // A PNG header followed by 21 MB: images may be 20 MB.
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + [UInt8](repeating: 0, count: 21 << 20)
        let (response, document) = upload(f, Self.form([("file", "huge.png", png)]))
        #expect(response.status == 413)
        #expect(document["details"]?["media_type"] == "image")
        #expect(document["details"]?["limit_bytes"] == .integer(20 << 20))
        #expect(blobs(f).isEmpty)
        // Configured lower: a 2 KB image limit refuses a 5 KB PNG.
        let strict = try ApplicationFixture(
            batchLimits: {
                var l = BatchLimits()
                l.processors = ["ingest"]
                l.media.imageBytes = 2048
                return l
            }())
        let (small, smallDocument) = upload(strict, Self.form([("file", "p.png", Array(png.prefix(5000)))]))
        #expect(small.status == 413)
        #expect(smallDocument["details"]?["limit_bytes"] == 2048)
        // 21 MB of text: documents may be 20 MB too.
        let (text, _) = upload(f, Self.form([("file", "long.txt", [UInt8](repeating: 0x61, count: 21 << 20))]))
        #expect(text.status == 413)
        #expect(blobs(f).isEmpty)
    }
}
