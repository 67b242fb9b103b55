import BatchCache
import BatchCodecs
import BatchModel
import BatchStore
import Foundation
import Logging
import Testing

@testable import BatchAPI

/// An application over a real SQLite file and a Redis endpoint nobody listens on,
/// driven with request values: no sockets, no nginx.
final class ApplicationFixture {
    let folder: String
    let app: APIApplication
    let connection: any StoreConnection
    let tenant: Tenant
    let clientKey: String
    let adminKey: String

    init(
        maxBodyBytes: Int = 1 << 20, batchLimits: BatchLimits = BatchLimits(), commitDeadlineMilliseconds: Int = 45_000,
        logger: Logger = Logger(label: "test")
    ) throws {
        folder = NSTemporaryDirectory() + "batchd-api-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let database = StoreDatabase(path: folder + "/test.sqlite3")
        try database.prepare()
        connection = try database.connect()
        tenant = try TenantRecords(connection).create(name: "acme")
        clientKey = try KeyRecords(connection).create(tenantID: tenant.id, role: .client).1.value
        adminKey = try KeyRecords(connection).create(tenantID: tenant.id, role: .operator).1.value
        let redis = RedisConnection(endpoint: .unix(path: folder + "/no-redis.sock"), connectTimeoutMilliseconds: 50)
        var service = ServiceInfo(maxBodyBytes: maxBodyBytes, batchLimits: batchLimits, blobDirectory: folder)
        service.commitDeadlineMilliseconds = commitDeadlineMilliseconds
        let resources = WorkerResources(
            database: database, redis: redis, service: service, metrics: RequestMetrics(),
            keyCache: KeyCache(ttlMilliseconds: 0))
        app = APIApplication(resources: resources, logger: logger)
    }

    deinit { try? FileManager.default.removeItem(atPath: folder) }

    func send(
        _ method: String, _ path: String, key: String? = nil, query: String = "", body: String = "", requestID: String = "req-test-1",
        headers extra: [String: String] = [:]
    ) -> (HTTPResponse, JSONValue) {
        var headers = extra
        if let key { headers["x-api-key"] = key }
        if !body.isEmpty, headers["content-type"] == nil { headers["content-type"] = "application/json" }
        let request = HTTPRequest(
            method: method, path: path, query: QueryParameters(parsing: query), headers: HTTPHeaders(headers), requestID: requestID,
            body: Array(body.utf8), declaredBodyLength: body.utf8.count)
        let response = app.respond(to: request)
        let document = (try? JSONParser.parse(response.body)) ?? .null
        return (response, document)
    }
}

/// Keeps every log record's message and metadata.
struct CapturedLogs: LogHandler {
    final class Records: @unchecked Sendable {
        private let lock = NSLock()
        private var stored: [(message: String, metadata: Logger.Metadata)] = []
        var all: [(message: String, metadata: Logger.Metadata)] { lock.withLock { stored } }
        func add(_ message: String, _ metadata: Logger.Metadata) { lock.withLock { stored.append((message, metadata)) } }
    }

    let records: Records
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        records.add("\(event.message)", metadata.merging(event.metadata ?? [:]) { _, new in new })
    }
}

@Suite struct APIApplicationTests {
    /// The request's logger is made only when something is logged, yet carries the
    /// request id always and the tenant once the key is known.
    @Test func logLinesCarryTheRequestIdAndTheTenant() throws {
        let records = CapturedLogs.Records()
        let f = try ApplicationFixture(logger: Logger(label: "test") { _ in CapturedLogs(records: records) })
        _ = f.send("GET", "/v1/status", key: f.clientKey, requestID: "req-known")
        _ = f.send("GET", "/v1/status", key: "bd_notakey", requestID: "req-unknown")
        let lines = records.all.filter { $0.message == "request" }
        #expect(lines.count == 2)
        #expect(lines.first?.metadata["request_id"] == "req-known" && lines.first?.metadata["tenant"] == "\(f.tenant.id)")
        #expect(lines.last?.metadata["request_id"] == "req-unknown" && lines.last?.metadata["tenant"] == nil)
        #expect(lines.first?.metadata["status"] == "200" && lines.last?.metadata["status"] == "401")
    }

    /// A worker's request logger is one value given each request's metadata; a copy
    /// kept from an earlier request keeps that request's.
    @Test func reusedRequestLoggerKeepsEachCopysMetadata() {
        let records = CapturedLogs.Records()
        let worker = RequestLogger(Logger(label: "test") { _ in CapturedLogs(records: records) })
        let first = worker.with(requestID: "req-1", tenant: "ten-1")
        let second = worker.with(requestID: "req-2", tenant: nil)
        first.info("kept")
        second.info("now")
        #expect(records.all.map(\.metadata) == [["request_id": "req-1", "tenant": "ten-1"], ["request_id": "req-2"]])
        #expect(worker.with(requestID: "req-3", tenant: "ten-3")[metadataKey: "tenant"] == "ten-3")
    }

    /// A worker keeps the last `RateLimit-Policy` it made; a caller under another policy
    /// gets its own, and the first one's again after that.
    @Test func eachAnswerCarriesItsOwnTenantsPolicy() throws {
        let f = try ApplicationFixture()
        let other = try TenantRecords(f.connection).create(
            name: "other", rateLimit: RateLimitPolicy(limit: 50, windowSeconds: 60, burst: 5, writeLimit: nil))
        let otherKey = try KeyRecords(f.connection).create(tenantID: other.id, role: .client).1.value
        let policies = [f.clientKey, otherKey, f.clientKey].map { f.send("GET", "/v1/status", key: $0).0.header("RateLimit-Policy") }
        #expect(policies == [#""default";q=1000;w=3600"#, #""default";q=50;w=60"#, #""default";q=1000;w=3600"#])
    }

    @Test func missingAndWrongKeysAre401InTheEnvelope() throws {
        let f = try ApplicationFixture()
        for key in [nil, "bd_notakey", ""] as [String?] {
            let (response, body) = f.send("GET", "/v1/status", key: key)
            #expect(response.status == 401)
            #expect(body["success"] == false)
            #expect(body["code"] == "unauthorized")
            #expect(body["status_code"] == 401)
            #expect(body["request_id"] == "req-test-1")
            #expect(response.header("X-Request-Id") == "req-test-1")
            #expect(response.header("Content-Type") == "application/json; charset=utf-8")
        }
    }

    @Test func bearerTokensWorkLikeApiKeys() throws {
        let f = try ApplicationFixture()
        let request = HTTPRequest(method: "GET", path: "/v1/status", headers: ["authorization": "Bearer \(f.clientKey)"])
        #expect(f.app.respond(to: request).status == 200)
    }

    @Test func statusShowsTenantLimitsAndDependencies() throws {
        let f = try ApplicationFixture()
        let (response, body) = f.send("GET", "/v1/status", key: f.clientKey)
        #expect(response.status == 200)
        #expect(body["success"] == true)
        #expect(body["data"]?["tenant"]?["name"] == "acme")
        #expect(body["data"]?["rate_limit"]?["limit"] == 1000)
        #expect(body["data"]?["service"]?["sqlite"] == "up")
        #expect(body["data"]?["service"]?["store"] == "sqlite")
        #expect(body["data"]?["service"]?["redis"] == "down")
        #expect(body["metadata"]?["request_id"] == "req-test-1")
    }

    /// A worker renders `/v1/status` once per caller and dependency state: the next
    /// answer for the same caller is the same bytes with its own request id, and
    /// another caller gets its own document.
    @Test func statusIsRenderedOncePerCaller() throws {
        let f = try ApplicationFixture()
        let first = f.send("GET", "/v1/status", key: f.clientKey, requestID: "req-a").0.body
        let again = f.send("GET", "/v1/status", key: f.clientKey, requestID: "req-b").0.body
        #expect(String(decoding: again, as: UTF8.self) == String(decoding: first, as: UTF8.self).replacingOccurrences(of: "req-a", with: "req-b"))
        let (_, admin) = f.send("GET", "/v1/status", key: f.adminKey, requestID: "req-c")
        #expect(admin["data"]?["key"]?["role"] == "operator" && admin["metadata"]?["request_id"] == "req-c")
        // The stored prefix completed is the envelope built whole, byte for byte.
        let data: JSONValue = ["a": 1, "b": ["c": "d\"e"]]
        #expect(
            NativeEnvelope.complete(NativeEnvelope.cacheablePrefix(message: "m", data: data), requestID: "r\"1")
                == JSONWriter.bytes(NativeEnvelope.document(message: "m", data: data, requestID: "r\"1")))
    }

    @Test func invalidBatchIdIsSpec000Body() throws {
        let f = try ApplicationFixture()
        let (response, body) = f.send("GET", "/v1/batches/batch@123", key: f.clientKey)
        #expect(response.status == 400)
        #expect(
            body == [
                "success": false, "message": "Invalid batch ID: batch@123", "code": "validation_error", "status_code": 400,
                "details": ["error": "Batch ID must be alphanumeric with hyphens only"], "request_id": "req-test-1",
            ])
        let (long, _) = f.send("GET", "/v1/batches/" + String(repeating: "a", count: 65), key: f.clientKey)
        #expect(long.status == 400)
    }

    @Test func unknownBatchIsSpec000Body() throws {
        let f = try ApplicationFixture()
        let (response, body) = f.send("GET", "/v1/batches/batch-xyz789", key: f.clientKey)
        #expect(response.status == 404)
        #expect(
            body == [
                "success": false, "message": "Batch batch-xyz789 not found", "code": "not_found", "status_code": 404,
                "details": ["resource_type": "batch", "resource_id": "batch-xyz789"], "request_id": "req-test-1",
            ])
    }

    @Test func anotherTenantsBatchIsNotFound() throws {
        let f = try ApplicationFixture()
        let other = try TenantRecords(f.connection).create(name: "other")
        try f.connection.statement("INSERT INTO batches (id, tenant_id, status, created_at, updated_at) VALUES ('batch-theirs', ?, 'queued', 1, 1)")
            .bind(.text(other.id)).run()
        try f.connection.statement("INSERT INTO batches (id, tenant_id, status, created_at, updated_at) VALUES ('batch-mine', ?, 'queued', 1, 1)")
            .bind(.text(f.tenant.id)).run()
        #expect(f.send("GET", "/v1/batches/batch-theirs", key: f.clientKey).0.status == 404)
        let (mine, body) = f.send("GET", "/v1/batches/batch-mine", key: f.clientKey)
        #expect(mine.status == 200)
        #expect(body["data"]?["status"] == "created")
    }

    @Test func unknownRouteAndWrongMethod() throws {
        let f = try ApplicationFixture()
        let (notFound, body) = f.send("GET", "/v1/nothing", key: f.clientKey)
        #expect(notFound.status == 404)
        #expect(body["code"] == "not_found")
        let (wrong, wrongBody) = f.send("DELETE", "/v1/status", key: f.clientKey)
        #expect(wrong.status == 405)
        #expect(wrong.header("Allow") == "GET, HEAD")
        #expect(wrongBody["code"] == "method_not_allowed")
    }

    @Test func oversizedAndTruncatedBodies() throws {
        let f = try ApplicationFixture(maxBodyBytes: 2048)
        let big = HTTPRequest(
            method: "POST", path: "/v1/admin/tenants", headers: ["x-api-key": f.adminKey], requestID: "r1", bodyTooLarge: true,
            declaredBodyLength: 5000)
        let response = f.app.respond(to: big)
        let body = try JSONParser.parse(response.body)
        #expect(response.status == 413)
        #expect(body["code"] == "payload_too_large")
        #expect(body["details"]?["limit_bytes"] == 2048)
        let truncated = HTTPRequest(
            method: "POST", path: "/v1/admin/tenants", headers: ["x-api-key": f.adminKey], body: [0x7B], declaredBodyLength: 10, bodyTruncated: true)
        #expect(f.app.respond(to: truncated).status == 400)
    }

    @Test func clientKeysCannotUseAdminEndpoints() throws {
        let f = try ApplicationFixture()
        let (response, body) = f.send("GET", "/v1/admin/tenants", key: f.clientKey)
        #expect(response.status == 403)
        #expect(body["code"] == "forbidden")
    }

    @Test func adminCreatesTenantsAndKeysThatWork() throws {
        let f = try ApplicationFixture()
        let (created, tenantBody) = f.send(
            "POST", "/v1/admin/tenants", key: f.adminKey, body: #"{"name":"beta","rate_limit":{"limit":50,"burst":5}}"#)
        #expect(created.status == 201)
        #expect(tenantBody["data"]?["rate_limit"]?["limit"] == 50)
        #expect(tenantBody["data"]?["rate_limit"]?["window_seconds"] == 3600)
        let tenantID = tenantBody["data"]?["tenant_id"]?.stringValue ?? ""

        let (keyResponse, keyBody) = f.send("POST", "/v1/admin/tenants/\(tenantID)/keys", key: f.adminKey, body: #"{"role":"client","name":"ci"}"#)
        #expect(keyResponse.status == 201)
        let newKey = keyBody["data"]?["key"]?.stringValue ?? ""
        #expect(newKey.hasPrefix("bd_"))
        let (status, statusBody) = f.send("GET", "/v1/status", key: newKey)
        #expect(status.status == 200)
        #expect(statusBody["data"]?["tenant"]?["name"] == "beta")

        // Listings never show the secret.
        let (list, listBody) = f.send("GET", "/v1/admin/tenants/\(tenantID)/keys", key: f.adminKey)
        #expect(list.status == 200)
        #expect(!String(decoding: list.body, as: UTF8.self).contains(newKey))
        let keyID = listBody["data"]?.arrayFirst?["key_id"]?.stringValue ?? ""

        let (revoked, _) = f.send("DELETE", "/v1/admin/tenants/\(tenantID)/keys/\(keyID)", key: f.adminKey)
        #expect(revoked.status == 200)
        #expect(f.send("GET", "/v1/status", key: newKey).0.status == 401)
    }

    @Test func adminInputErrorsNameTheField() throws {
        let f = try ApplicationFixture()
        let cases: [(String, String)] = [
            ("{", "validation_error"),
            ("[]", "validation_error"),
            (#"{"name":""}"#, "validation_error"),
            (#"{"name":"x","colour":"red"}"#, "validation_error"),
            (#"{"name":"x","rate_limit":{"limit":"many"}}"#, "validation_error"),
            (#"{"name":"x","rate_limit":{"limit":10,"burst":0}}"#, "validation_error"),
            (#"{"name":"acme"}"#, "conflict"),
        ]
        for (body, code) in cases {
            let (response, document) = f.send("POST", "/v1/admin/tenants", key: f.adminKey, body: body)
            #expect(document["code"]?.stringValue == code, "\(body)")
            #expect(response.status == (code == "conflict" ? 409 : 400), "\(body)")
        }
        #expect(f.send("POST", "/v1/admin/tenants/ten-nope/keys", key: f.adminKey, body: "{}").0.status == 404)
        #expect(f.send("POST", "/v1/admin/tenants/\(f.tenant.id)/keys", key: f.adminKey, body: #"{"role":"root"}"#).0.status == 400)
        #expect(f.send("PATCH", "/v1/admin/tenants/\(f.tenant.id)", key: f.adminKey, body: #"{"rate_limit":{"window_seconds":0}}"#).0.status == 400)
    }

    @Test func metricsCountAnswersByClass() throws {
        let f = try ApplicationFixture()
        _ = f.send("GET", "/v1/status", key: f.clientKey)
        _ = f.send("GET", "/v1/status")
        let (response, _) = f.send("GET", "/metrics")
        let text = String(decoding: response.body, as: UTF8.self)
        #expect(response.header("Content-Type")?.hasPrefix("text/plain") == true)
        #expect(text.contains(#"batchd_requests_total{class="2xx"} 1"#))
        #expect(text.contains(#"batchd_requests_total{class="4xx"} 1"#))
    }

    @Test func diagnosticSleepValidatesItsParameter() throws {
        let f = try ApplicationFixture()
        #expect(f.send("GET", "/v1/admin/diagnostics/sleep", key: f.adminKey, query: "ms=abc").0.status == 400)
        #expect(f.send("GET", "/v1/admin/diagnostics/sleep", key: f.adminKey, query: "ms=999999").0.status == 400)
        #expect(f.send("GET", "/v1/admin/diagnostics/sleep", key: f.adminKey, query: "ms=1").0.status == 200)
        #expect(f.send("GET", "/v1/admin/diagnostics/sleep", key: f.clientKey, query: "ms=1").0.status == 403)
    }
}

extension JSONValue {
    var arrayFirst: JSONValue? {
        if case .array(let items) = self { return items.first }
        return nil
    }
}

@Suite struct StorageFaultTests {
    @Test func anUnwritableDatabaseIs503AndNotReady() throws {
        let f = try ApplicationFixture()
        // Every write on this worker's connection now fails as on a read-only disk.
        try f.app.resources.store().execute("PRAGMA query_only = 1")
        let (create, body) = f.send("POST", "/v1/batches", key: f.clientKey, body: #"{"processor":"noop","items":[{"content":"a"}]}"#)
        #expect(create.status == 503, "\(body)")
        #expect(body["code"] == "service_unavailable")
        #expect(body["details"]?["dependency"] == "sqlite")
        #expect(create.header("Retry-After") == "5")
        #expect(body["suggestion"]?.stringValue?.contains("Idempotency-Key") == true)
        try f.app.resources.store().execute("PRAGMA query_only = 1")
        let (ready, readiness) = f.send("GET", "/readyz")
        #expect(ready.status == 503)
        #expect(readiness["status"] == "unavailable")
        #expect(readiness["checks"]?["sqlite"] == "down")
        // The probe reconnected; writes work again and readiness says so.
        // (Redis is not running here: degraded, which is still ready to serve.)
        let (again, readinessAgain) = f.send("GET", "/readyz")
        #expect(again.status == 200)
        #expect(readinessAgain["checks"]?["sqlite"] == "up")
        #expect(f.send("POST", "/v1/batches", key: f.clientKey, body: #"{"processor":"noop","items":[{"content":"a"}]}"#).0.status == 201)
    }
}
