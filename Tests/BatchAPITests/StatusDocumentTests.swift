import BatchModel
import BatchStore
import Testing

@testable import BatchAPI

/// Spec 000's status document and its four query parameters.
@Suite struct StatusDocumentTests {
    /// A batch of four items: two succeeded, one failed with format_error, one pending.
    func seeded(_ f: ApplicationFixture) throws -> String {
        let (_, created) = f.send(
            "POST", "/v1/batches", key: f.clientKey,
            body:
                #"{"batch_name":"Monthly Reports Processing","processor":"noop","items":[{"content":"a","filename":"a.pdf"},{"content":"b","filename":"b.pdf"},{"content":"c","filename":"reports/financial_data.xlsx"},{"content":"d","filename":"d.pdf"}],"configuration":{"max_concurrent":3}}"#
        )
        let id = try #require(created["data"]?["batch_id"]?.stringValue)
        let leases = ItemLeases(f.connection)
        let claimed = try leases.claim(owner: "w", limit: 3, leaseSeconds: 60)
        let outcomes: [ItemOutcome] = [
            .succeeded(result: nil, mediaType: "document", usage: .none), .succeeded(result: nil, mediaType: "document", usage: .none),
            .failed(errorType: "format_error", message: "Unsupported file format", details: ["format": ".xlsx", "supported_formats": [".pdf"]]),
        ]
        try leases.complete(zip(claimed, outcomes).map { ItemCompletion(item: $0, outcome: $1, startedAt: .now(), durationMilliseconds: 2000) })
        return id
    }

    @Test func everyFieldOfSpec000WithItsType() throws {
        let f = try ApplicationFixture()
        let id = try seeded(f)
        let (response, body) = f.send("GET", "/v1/batches/\(id)", key: f.clientKey, query: "include_job_details=true")
        #expect(response.status == 200)
        let data = try #require(body["data"])
        #expect(data["status"] == "running")
        #expect(data["progress"] == ["percentage": 75.0, "completed": 2, "failed": 1, "pending": 1, "processing": 0, "total": 4])
        let timing = try #require(data["timing"])
        #expect(timing["average_item_time"] == 2.0)
        #expect(timing["estimated_completion"]?.stringValue != nil)
        #expect(timing["completed_at"] == .null)
        guard case .double = timing["elapsed_time"] else {
            Issue.record("elapsed_time is not a number")
            return
        }
        guard case .array(let jobs) = data["job_details"] else {
            Issue.record("no job_details")
            return
        }
        #expect(jobs.count == 4)
        #expect(jobs[0]["status"] == "completed")
        #expect(jobs[2]["status"] == "failed")
        #expect(jobs[2]["file_path"] == "reports/financial_data.xlsx")
        #expect(jobs[2]["error"]?["code"] == "format_error")
        #expect(jobs[2]["error"]?["details"]?["format"] == ".xlsx")
        #expect(jobs[3]["status"] == "pending")
        #expect(
            data["error_summary"] == [
                [
                    "error_type": "format_error", "count": 1, "affected_files": ["reports/financial_data.xlsx"],
                    "resolution": "Ensure file is in a supported format",
                ]
            ])
        #expect(data["batch_configuration"] == ["max_concurrent": 3, "priority": "normal", "timeout": 3600, "notification_enabled": false])
        #expect(body["metadata"]?["cache_ttl"] == 0)
        #expect(body["metadata"]?["cache_remaining"] == 0)
    }

    @Test func parametersShapeTheDocument() throws {
        let f = try ApplicationFixture()
        let id = try seeded(f)
        let (_, plain) = f.send("GET", "/v1/batches/\(id)", key: f.clientKey)
        #expect(plain["data"]?["job_details"] == nil)
        let (_, noErrors) = f.send("GET", "/v1/batches/\(id)", key: f.clientKey, query: "include_errors=false")
        #expect(noErrors["data"]?["error_summary"] == nil)
        let (_, metrics) = f.send("GET", "/v1/batches/\(id)", key: f.clientKey, query: "metrics_only=true&include_job_details=true")
        guard case .object(let object) = metrics["data"] else { return }
        #expect(object.keys == ["batch_id", "batch_name", "status", "progress", "timing", "error_summary"])
        #expect(metrics["data"]?["error_summary"] == [["error_type": "format_error", "count": 1]])
        let (_, some) = f.send("GET", "/v1/batches/\(id)", key: f.clientKey, query: "fields=status,progress")
        guard case .object(let only) = some["data"] else { return }
        #expect(only.keys == ["status", "progress"])
    }

    @Test(arguments: [
        "include_job_details=maybe", "metrics_only=yes", "include_errors=2", "fields=status,colour", "fields=", "page=1",
        "metrics_only=true&metrics_only=false",
    ])
    func badParametersAre400NamingThem(_ query: String) throws {
        let f = try ApplicationFixture()
        let id = try seeded(f)
        let (response, body) = f.send("GET", "/v1/batches/\(id)", key: f.clientKey, query: query)
        #expect(response.status == 400, "\(query)")
        #expect(body["details"]?["parameter"] != nil, "\(query)")
    }
}

/// Spec 001's results document and its pagination.
@Suite struct ResultsDocumentTests {
    @Test func everyFieldOfSpec001() throws {
        let f = try ApplicationFixture()
        let id = try StatusDocumentTests().seeded(f)
        let (response, body) = f.send("GET", "/v1/batches/\(id)/results", key: f.clientKey, query: "page=1&page_size=3")
        #expect(response.status == 200)
        let data = try #require(body["data"])
        #expect(data["batch_summary"]?["batch_name"] == "Monthly Reports Processing")
        #expect(data["batch_summary"]?["collection"] == "default")
        #expect(data["batch_summary"]?["completion"] == ["successful": 2, "failed": 1, "total_items": 4, "completion_rate": 50.0])
        guard case .array(let jobs) = data["job_results"] else {
            Issue.record("no job_results")
            return
        }
        #expect(jobs.count == 3)
        #expect(jobs.map { $0["status"]?.stringValue } == ["succeeded", "succeeded", "failed"])
        #expect(jobs[0]["file_info"] == ["size_bytes": 1, "size_mb": 0.0])
        #expect(jobs[2]["error"]?["code"] == "format_error")
        #expect(jobs[2]["media_id"] == .null)
        #expect(data["statistics"]?["completion"] == ["successful": 2, "failed": 1, "total": 4, "success_rate": 66.7])
        #expect(data["statistics"]?["resources"]?["total_files_size_bytes"] == 4)
        #expect(data["pagination"] == ["page": 1, "page_size": 3, "total_items": 4, "total_pages": 2])
        #expect(body["metadata"]?["related_endpoints"]?["list_media"] == "/v1/media?collection=default")

        let (_, second) = f.send("GET", "/v1/batches/\(id)/results", key: f.clientKey, query: "page=2&page_size=3")
        guard case .array(let rest) = second["data"]?["job_results"] else { return }
        #expect(rest.map { $0["status"]?.stringValue } == ["pending"])
        let (past, pastBody) = f.send("GET", "/v1/batches/\(id)/results", key: f.clientKey, query: "page=9&page_size=3")
        #expect(past.status == 200)
        #expect(pastBody["data"]?["job_results"] == .array([]))
        #expect(pastBody["data"]?["pagination"]?["page"] == 9)
    }

    @Test(arguments: ["page=0", "page=abc", "page_size=0", "page_size=1001", "page_size=ten", "size=5", "page=1&page=2"])
    func badParametersAre400(_ query: String) throws {
        let f = try ApplicationFixture()
        let id = try StatusDocumentTests().seeded(f)
        let (response, body) = f.send("GET", "/v1/batches/\(id)/results", key: f.clientKey, query: query)
        #expect(response.status == 400, "\(query)")
        #expect(body["details"]?["parameter"] != nil)
    }

    @Test func otherTenantsResultsAreNotFound() throws {
        let f = try ApplicationFixture()
        let id = try StatusDocumentTests().seeded(f)
        let other = try TenantRecords(f.connection).create(name: "other")
        let key = try KeyRecords(f.connection).create(tenantID: other.id, role: .client).1.value
        #expect(f.send("GET", "/v1/batches/\(id)/results", key: key).0.status == 404)
        #expect(f.send("GET", "/v1/batches/batch@1/results", key: f.clientKey).0.status == 400)
    }
}
