import BatchCodecs
import BatchModel
import BatchStore
import Testing

@testable import BatchAPI

@Suite struct MediaEndpointTests {
    /// Ingests `count` distinct files of a collection through the store, as the scheduler would.
    func ingest(_ f: ApplicationFixture, collection: String, count: Int) throws {
        let items = (1...count).map { #"{"content":"file \#($0)","filename":"f\#($0).txt"}"# }.joined(separator: ",")
        _ = f.send("POST", "/v1/batches", key: f.clientKey, body: #"{"processor":"noop","collection":"\#(collection)","items":[\#(items)]}"#)
        let leases = ItemLeases(f.connection)
        let claimed = try leases.claim(owner: "w", limit: count, leaseSeconds: 60)
        try leases.complete(
            claimed.map { item in
                let media = NewMedia(
                    mediaType: "document", mime: "text/plain", sizeBytes: 6, sha256: SHA256.hexHash(item.content ?? []), metadata: ["words": 2])
                return ItemCompletion(
                    item: item, outcome: .succeeded(result: [:], mediaType: "document", usage: .none, media: media), startedAt: .now(),
                    durationMilliseconds: 1)
            })
    }

    @Test func listsAndShowsTheTenantsMedia() throws {
        let f = try ApplicationFixture()
        try ingest(f, collection: "docs", count: 3)
        try ingest(f, collection: "other", count: 1)
        let (response, body) = f.send("GET", "/v1/media", key: f.clientKey, query: "collection=docs&page=1&page_size=2")
        #expect(response.status == 200)
        #expect(body["pagination"] == ["page": 1, "page_size": 2, "total_items": 3, "total_pages": 2])
        guard case .array(let page) = body["data"] else {
            Issue.record("no data")
            return
        }
        #expect(page.count == 2)
        let id = try #require(page.first?["media_id"]?.stringValue)
        #expect(id.hasPrefix("vec-"))
        let (one, document) = f.send("GET", "/v1/media/\(id)", key: f.clientKey)
        #expect(one.status == 200)
        #expect(document["data"]?["collection"] == "docs")
        #expect(document["data"]?["metadata"] == ["words": 2])
        #expect(document["data"]?["job_id"]?.stringValue?.hasPrefix("job-") == true)
        let (_, all) = f.send("GET", "/v1/media", key: f.clientKey)
        #expect(all["pagination"]?["total_items"] == 4)

        let other = try TenantRecords(f.connection).create(name: "other")
        let key = try KeyRecords(f.connection).create(tenantID: other.id, role: .client).1.value
        #expect(f.send("GET", "/v1/media/\(id)", key: key).0.status == 404)
        #expect(f.send("GET", "/v1/media", key: key).1["pagination"]?["total_items"] == 0)
    }

    @Test(arguments: ["page=0", "page_size=5000", "colour=red", "collection="])
    func badParametersAre400(_ query: String) throws {
        let f = try ApplicationFixture()
        #expect(f.send("GET", "/v1/media", key: f.clientKey, query: query).0.status == 400)
    }

    @Test func badAndUnknownIds() throws {
        let f = try ApplicationFixture()
        let (bad, body) = f.send("GET", "/v1/media/vec@1", key: f.clientKey)
        // An id no media can have names no media.
        #expect(bad.status == 404)
        #expect(body["details"]?["error"] == "Media ID must be alphanumeric with hyphens only")
        let (missing, missingBody) = f.send("GET", "/v1/media/vec-nope", key: f.clientKey)
        #expect(missing.status == 404)
        #expect(missingBody["details"]?["resource_type"] == "media")
    }
}
