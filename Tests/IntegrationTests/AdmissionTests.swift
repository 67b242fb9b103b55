import BatchStore
import Foundation
import Testing

/// Large bodies are admitted before they are read: nginx asks batchd about the
/// key and the tenant's rate limit first, so a refused request is answered, in
/// the envelope, before its body is sent; an admitted one is charged once.
@Suite(.serialized) struct AdmissionTests {
    /// A create of `items` items whose JSON is well past the 10,000 bytes that trigger admission.
    static func largeCreate(items: Int = 400) -> String {
        #"{"processor":"noop","items":["# + (0..<items).map { #"{"content":"item number \#($0) of a large body"}"# }.joined(separator: ",") + "]}"
    }

    static func head(port: Int, key: String?, length: Int) -> [UInt8] {
        var head =
            "POST /v1/batches HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: \(length)\r\n"
        if let key { head += "X-Api-Key: \(key)\r\n" }
        return Array((head + "\r\n").utf8)
    }

    @Test func aRefusedLargeBodyIsAnsweredBeforeItIsSent() throws {
        var options = TestStack.Options()
        options.tenantLimits = (2, 3600, 2)
        let stack = try TestStack(options)
        defer { stack.stop() }
        let body = Self.largeCreate()
        #expect(body.utf8.count > 10_000)
        // Two creates fit the budget: each charged once, at admission, not again with its body.
        for _ in 0..<2 {
            let created = try stack.sendJSON("POST", "/v1/batches", key: stack.clientKey, body)
            #expect(created.status == 201, "\(created.text)")
            #expect(created.headers["x-ratelimit-limit"] == "2")
            #expect(created.headers["ratelimit-policy"] == #""default";q=2;w=3600"#)
        }
        // The third: 50 MB announced, 1 KB sent; the 429 comes anyway, in the envelope.
        let start = Self.head(port: stack.port, key: stack.clientKey, length: 50_000_000) + Array(body.utf8.prefix(1000))
        let refused = try #require(try HTTPClient.sendStartOnly(port: stack.port, start), "no answer before the body was sent")
        #expect(refused.status == 429, "\(refused.headers) \(refused.text)")
        #expect(refused.json["code"] as? String == "rate_limit_error")
        #expect(refused.json["status_code"] as? Int == 429)
        #expect((refused.json["details"] as? [String: Any])?["limit"] as? Int == 2)
        #expect(Int(refused.headers["retry-after"] ?? "") ?? 0 >= 1)
        #expect(refused.headers["x-ratelimit-remaining"] == "0")
        #expect(refused.headers["content-type"]?.hasPrefix("application/json") == true)
        let requestID = try #require(refused.headers["x-request-id"])
        #expect(refused.json["request_id"] as? String == requestID)
        // No key: a 401 in the envelope, also before the body.
        let anonymous = try #require(try HTTPClient.sendStartOnly(port: stack.port, Self.head(port: stack.port, key: nil, length: 50_000_000)))
        #expect(anonymous.status == 401)
        #expect(anonymous.json["code"] as? String == "unauthorized")
        // Small bodies go straight through and are limited the usual way.
        let small = try stack.sendJSON("POST", "/v1/batches", key: stack.clientKey, #"{"processor":"noop","items":[{"content":"a"}]}"#)
        #expect(small.status == 429)
        #expect(small.json["code"] as? String == "rate_limit_error")
        let db = try SQLiteConnection(path: stack.directory + "/var/batchd.sqlite3", readOnly: true)
        #expect(try db.statement("SELECT count(*) FROM batches").firstRow { $0.int(0) } == 2)
    }

    @Test func admittedBodiesStillMeetEveryOtherRule() throws {
        let stack = try TestStack()
        defer { stack.stop() }
        let body = Self.largeCreate()
        // A large body on a route without a key check, an unknown route, a bad body: each gets its own answer.
        #expect(try stack.sendJSON("POST", "/v1/nowhere", key: stack.clientKey, body).status == 404)
        let bad = try stack.sendJSON("POST", "/v1/batches", key: stack.clientKey, String(body.dropLast()))
        #expect(bad.status == 400)
        #expect(bad.json["code"] as? String == "validation_error")
        let appended = try stack.sendJSON("POST", "/v1/batches", key: stack.clientKey, #"{"processor":"noop","submit":false}"#)
        let id = try #require((appended.json["data"] as? [String: Any])?["batch_id"] as? String)
        let items = #"{"items":["# + (0..<400).map { #"{"content":"appended item \#($0) of a large body"}"# }.joined(separator: ",") + "]}"
        let added = try stack.sendJSON("POST", "/v1/batches/\(id)/items", key: stack.clientKey, items)
        #expect(added.status == 200, "\(added.text)")
        #expect(added.headers["x-ratelimit-limit"] != nil)
    }
}
