import Foundation
import Testing

/// Every endpoint's path ids, query parameters and bodies, fed hostile values
/// through nginx: always JSON, never a 5xx, never SQL, a stack trace or an internal path in a body.
@Suite(.serialized) struct FuzzTests {
    static let values: [String] = [
        "", "0", "-1", "1e309", "99999999999999999999", "true", "null", "%00", "%ff%fe", "a%2Fb", "..%2F..%2Fetc%2Fpasswd",
        "'%20OR%201=1--", "%22%3B%20DROP%20TABLE%20batches%3B--", String(repeating: "x", count: 3000), "%F0%9F%98%80", "batch-", "vec-%0A",
        "%3Cscript%3E", "NaN", "1,2,,3", "status,progress,,",
    ]

    @Test func hostileInputNeverBreaksAnEndpoint() throws {
        let stack = try TestStack()
        defer { stack.stop() }
        let created = try stack.sendJSON("POST", "/v1/batches", key: stack.clientKey, #"{"processor":"noop","items":[{"content":"x"}]}"#)
        let id = try #require((created.json["data"] as? [String: Any])?["batch_id"] as? String)
        let paths = [
            "/v1/batches/{v}", "/v1/batches/{v}/results", "/v1/batch/{v}", "/compat/check/v1/batch/{v}", "/compat/talonic/v1/batches/{v}",
            "/v1/media/{v}",
            "/v1/batches?status={v}", "/v1/batches?limit={v}", "/v1/batches?after={v}", "/v1/batches?created_after={v}", "/v1/batches?collection={v}",
            "/v1/batches/\(id)?include_job_details={v}", "/v1/batches/\(id)?metrics_only={v}", "/v1/batches/\(id)?include_errors={v}",
            "/v1/batches/\(id)?fields={v}", "/v1/batches/\(id)/results?page={v}", "/v1/batches/\(id)/results?page_size={v}",
            "/v1/media?collection={v}", "/v1/media?page={v}", "/v1/media?page_size={v}", "/v1/batches/\(id)?{v}={v}",
        ]
        var checked = 0
        for template in paths {
            for value in Self.values {
                let path = template.replacingOccurrences(of: "{v}", with: value)
                let result = try stack.get(path, key: stack.clientKey)
                #expect(result.status < 500, "\(path) → \(result.status): \(result.text.prefix(300))")
                #expect((try? JSONSerialization.jsonObject(with: Data(result.body))) != nil, "\(path) answered no JSON: \(result.text.prefix(200))")
                let text = result.text.lowercased()
                for leak in ["sqlite", "select ", "fatal error", "/work/", ".swift", "stack trace"] {
                    #expect(!text.contains(leak), "\(path) leaked '\(leak)': \(result.text.prefix(300))")
                }
                checked += 1
            }
        }
        // Bodies: state actions, appends and creates with hostile JSON.
        let bodies = [
            "", "{", "[]", "null", #"{"action":null}"#, #"{"action":"\u0000"}"#, #"{"items":[{"content":"\ud800"}]}"#,
            String(repeating: "[", count: 5000), #"{"items":[{"content":1}]}"#, #"{"items":[{"custom_id":{"a":1},"content":"x"}]}"#,
        ]
        for body in bodies {
            for (method, path) in [("PUT", "/v1/batches/\(id)/state"), ("POST", "/v1/batches/\(id)/items"), ("POST", "/v1/batches")] {
                let result = try stack.send(method, path, key: stack.clientKey, headers: ["Content-Type": "application/json"], body: Array(body.utf8))
                #expect(result.status < 500, "\(method) \(path) \(body.prefix(40)) → \(result.status): \(result.text.prefix(300))")
                checked += 1
            }
        }
        #expect(checked > 450)
        // After all that, the service is still whole.
        #expect(try stack.get("/readyz").json["status"] as? String == "ready")
    }
}
