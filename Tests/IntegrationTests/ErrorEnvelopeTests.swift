import Foundation
import Testing

/// Every error a client can provoke comes back through nginx in the native
/// envelope, with the request id nginx made in the header and in the body.
@Suite(.serialized) struct ErrorEnvelopeTests {
    @Test func eachErrorAnswersInTheEnvelope() throws {
        let stack = try TestStack(.init(maxBodyBytes: 4096, nginxMaxBody: "1m"))
        defer { stack.stop() }

        func expectEnvelope(_ result: HTTPResult, _ status: Int, _ code: String, sourceLocation: SourceLocation = #_sourceLocation) {
            let body = result.json
            #expect(result.status == status, "\(result.text)", sourceLocation: sourceLocation)
            #expect(body["success"] as? Bool == false, sourceLocation: sourceLocation)
            #expect(body["code"] as? String == code, "\(result.text)", sourceLocation: sourceLocation)
            #expect(body["status_code"] as? Int == status, sourceLocation: sourceLocation)
            #expect(body["details"] is [String: Any], sourceLocation: sourceLocation)
            #expect(result.headers["content-type"] == "application/json; charset=utf-8", sourceLocation: sourceLocation)
            let requestID = result.headers["x-request-id"]
            #expect(requestID != nil && requestID == body["request_id"] as? String, sourceLocation: sourceLocation)
        }

        expectEnvelope(try stack.get("/v1/status"), 401, "unauthorized")
        expectEnvelope(try stack.get("/v1/status", key: "bd_wrongwrongwrongwrongwrongwrongwr"), 401, "unauthorized")
        expectEnvelope(try stack.get("/v1/status", headers: ["Authorization": "Basic Zm9vOmJhcg=="]), 401, "unauthorized")
        expectEnvelope(try stack.get("/v1/admin/tenants", key: stack.clientKey), 403, "forbidden")
        expectEnvelope(try stack.get("/v1/no/such/route", key: stack.clientKey), 404, "not_found")

        let wrongMethod = try stack.send("DELETE", "/v1/status", key: stack.clientKey)
        expectEnvelope(wrongMethod, 405, "method_not_allowed")
        #expect(wrongMethod.headers["allow"] == "GET, HEAD")

        let invalid = try stack.get("/v1/batches/batch@123", key: stack.clientKey)
        expectEnvelope(invalid, 400, "validation_error")
        #expect(invalid.json["message"] as? String == "Invalid batch ID: batch@123")
        #expect((invalid.json["details"] as? [String: String]) == ["error": "Batch ID must be alphanumeric with hyphens only"])

        let missing = try stack.get("/v1/batches/batch-xyz789", key: stack.clientKey)
        expectEnvelope(missing, 404, "not_found")
        #expect(missing.json["message"] as? String == "Batch batch-xyz789 not found")
        #expect((missing.json["details"] as? [String: String]) == ["resource_type": "batch", "resource_id": "batch-xyz789"])

        // Over batchd's limit but under nginx's: batchd refuses it without reading it.
        let overBatchd = try stack.send("POST", "/v1/admin/tenants", key: stack.adminKey, body: [UInt8](repeating: 0x20, count: 10_000))
        expectEnvelope(overBatchd, 413, "payload_too_large")
        #expect((overBatchd.json["details"] as? [String: Any])?["limit_bytes"] as? Int == 4096)
        // The worker that refused it still answers on its kept-open connection.
        for _ in 0..<20 { #expect(try stack.get("/v1/status", key: stack.clientKey).status == 200) }

        // Over nginx's own limit: nginx answers, in the same envelope.
        let overNginx = try stack.send("POST", "/v1/admin/tenants", key: stack.adminKey, body: [UInt8](repeating: 0x20, count: 2 << 20))
        expectEnvelope(overNginx, 413, "payload_too_large")

        let badJSON = try stack.sendJSON("POST", "/v1/admin/tenants", key: stack.adminKey, "{\"name\": ")
        expectEnvelope(badJSON, 400, "validation_error")
        // A client mistake never turns into a 500, and the first tenant is still there.
        let tenants = try stack.get("/v1/admin/tenants", key: stack.adminKey)
        #expect(tenants.status == 200)
        #expect((tenants.json["data"] as? [[String: Any]])?.count == 1)
    }

    /// Requests nginx refuses before batchd sees them: still the envelope, as JSON,
    /// with the request id and the headers the status calls for.
    @Test func nginxsOwnAnswersAreTheEnvelope() throws {
        let stack = try TestStack()
        defer { stack.stop() }
        func raw(_ text: String) throws -> HTTPResult { try HTTPClient.sendRaw(port: stack.port, Array(text.utf8)) }
        let host = "Host: 127.0.0.1\r\nConnection: close\r\n"
        let cases: [(String, HTTPResult, Int, String)] = [
            ("TRACE", try raw("TRACE /v1/status HTTP/1.1\r\n\(host)\r\n"), 405, "method_not_allowed"),
            ("long URI", try raw("GET /v1/\(String(repeating: "a", count: 20_000)) HTTP/1.1\r\n\(host)\r\n"), 414, "validation_error"),
            (
                "large header", try raw("GET /v1/status HTTP/1.1\r\n\(host)X-Big: \(String(repeating: "b", count: 20_000))\r\n\r\n"), 431,
                "validation_error"
            ),
            ("unknown Transfer-Encoding", try raw("POST /v1/batches HTTP/1.1\r\n\(host)Transfer-Encoding: gzip\r\n\r\n"), 501, "validation_error"),
            ("HTTP/2.0 in plain text", try raw("GET /v1/status HTTP/2.0\r\n\(host)\r\n"), 505, "validation_error"),
            ("garbage request line", try raw("GET /v1/status HTTX/1.1\r\n\(host)\r\n"), 400, "validation_error"),
        ]
        for (what, result, status, code) in cases {
            #expect(result.status == status, "\(what): \(result.status) \(result.text)")
            #expect(result.headers["content-type"] == "application/json; charset=utf-8", "\(what)")
            #expect(result.json["code"] as? String == code, "\(what): \(result.text)")
            #expect(result.json["status_code"] as? Int == status, "\(what)")
            #expect(result.json["request_id"] as? String == result.headers["x-request-id"], "\(what)")
        }
        #expect(cases[0].1.headers["allow"] == "GET, HEAD, POST, PUT, DELETE")
    }

    @Test func requestIdsTravelFromNginxToBodyHeaderAndLogs() throws {
        let stack = try TestStack()
        defer { stack.stop() }
        let first = try stack.get("/v1/status", key: stack.clientKey)
        let second = try stack.get("/v1/status", key: stack.clientKey)
        let id = try #require(first.headers["x-request-id"])
        #expect(id.count == 32 && id.allSatisfy(\.isHexDigit))
        #expect((first.json["metadata"] as? [String: Any])?["request_id"] as? String == id)
        #expect(second.headers["x-request-id"] != id)
        // nginx flushes its access log buffer within a second.
        try stack.waitUntil(seconds: 5, "access log line") { stack.readLog("nginx-access.log").contains("rid=\(id)") }
        // batchd writes request lines in blocks at least once a second.
        try stack.waitUntil(seconds: 5, "batchd log line") { stack.readLog("batchd.log").contains("request_id=\(id)") }
        // Keys never reach the logs.
        #expect(!stack.readLog("batchd.log").contains(stack.clientKey))
        #expect(!stack.readLog("nginx-access.log").contains(stack.clientKey))
    }

    @Test func perAddressLimitAnswersJSON429() throws {
        let stack = try TestStack(.init(perAddressRate: "1r/s", perAddressBurst: 1))
        defer { stack.stop() }
        var limited: HTTPResult?
        for _ in 0..<10 {
            let result = try stack.get("/v1/status", key: stack.clientKey)
            if result.status == 429 {
                limited = result
                break
            }
        }
        let result = try #require(limited)
        #expect(result.json["code"] as? String == "rate_limit_error")
        #expect(result.json["status_code"] as? Int == 429)
        #expect(result.headers["retry-after"] == "1")
        #expect(result.headers["x-request-id"] == result.json["request_id"] as? String)
    }
}
