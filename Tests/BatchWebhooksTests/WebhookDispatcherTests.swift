import BatchCodecs
import BatchModel
import BatchStore
import Foundation
import Logging
import Synchronization
import TestSupport
import Testing

@testable import BatchWebhooks

/// Deliveries over a real store, SQLite and PostgreSQL.
@Suite struct WebhookDispatcherTests {
    final class Fixture {
        let store: TemporaryStore
        var database: StoreDatabase { store.database }
        var connection: any StoreConnection { store.connection }
        var tenant: Tenant { store.tenant }

        init(_ backend: StoreBackend) throws { store = try TemporaryStore(label: "webhooks", backend: backend) }

        /// A cancelled (so finished) batch with a notification URL.
        func finishedBatch(url: String? = "http://example.invalid/hook") throws -> String {
            var configuration = BatchConfiguration()
            configuration.notificationURL = url
            let id = try store.createBatch(items: 1, configuration: configuration)
            _ = try BatchRecords(connection).apply(.cancel, batchID: id, tenantID: tenant.id)
            return id
        }
    }

    struct Delivery: Sendable {
        var url: String
        var body: [UInt8]
        var headers: [String: String]
    }

    /// What the fake receiver saw, and the answers it still has to give.
    final class Receiver: Sendable {
        let deliveries = Mutex<[Delivery]>([])
        let answers: Mutex<[String?]>
        init(answers: [String?]) { self.answers = Mutex(answers) }
        var first: Delivery? { deliveries.withLock { $0.first } }
    }

    func dispatcher(_ fixture: Fixture, receiver: Receiver) -> WebhookDispatcher {
        var configuration = WebhookDispatcher.Configuration()
        configuration.maxAttempts = 3
        configuration.baseDelaySeconds = 10
        return WebhookDispatcher(configuration: configuration, database: fixture.database, secret: "s3cret", logger: Logger(label: "test")) {
            url, body, headers in
            receiver.deliveries.withLock { $0.append(Delivery(url: url, body: body, headers: headers)) }
            return receiver.answers.withLock { $0.isEmpty ? nil : $0.removeFirst() }
        }
    }

    @Test(arguments: StoreBackend.allCases) func deliversTheSignedFinalStatusOnce(_ backend: StoreBackend) throws {
        let fixture = try Fixture(backend)
        let id = try fixture.finishedBatch()
        let receiver = Receiver(answers: [nil])
        let webhooks = dispatcher(fixture, receiver: receiver)
        #expect(webhooks.deliverDue() == 1)
        #expect(webhooks.deliverDue() == 0)
        let delivery = try #require(receiver.first)
        #expect(delivery.url == "http://example.invalid/hook")
        let signature = try #require(delivery.headers[WebhookSignature.header])
        #expect(WebhookSignature.verify(signature, body: delivery.body, secret: "s3cret"))
        #expect(!WebhookSignature.verify(signature, body: delivery.body + [0x20], secret: "s3cret"))
        #expect(!WebhookSignature.verify(signature, body: delivery.body, secret: "other"))
        let document = try JSONParser.parse(delivery.body)
        #expect(document["event"] == "batch.finished")
        #expect(document["data"]?["batch_id"] == .string(id))
        #expect(document["data"]?["status"] == "cancelled")
        let row = try #require(try BatchRecords(fixture.connection).find(id: id))
        #expect(row.webhookStatus == "delivered" && row.webhookAttempts == 1)
    }

    @Test(arguments: StoreBackend.allCases) func failuresRetryWithBackoffThenGiveUp(_ backend: StoreBackend) throws {
        let fixture = try Fixture(backend)
        let id = try fixture.finishedBatch()
        let webhooks = dispatcher(fixture, receiver: Receiver(answers: ["HTTP 500", "HTTP 502", "HTTP 503"]))
        let start = Timestamp(milliseconds: Timestamp.now().milliseconds)
        #expect(webhooks.deliverDue(now: start) == 1)
        // Not due again before the backoff: 10 s, then 20 s.
        #expect(webhooks.deliverDue(now: Timestamp(milliseconds: start.milliseconds + 9_000)) == 0)
        #expect(webhooks.deliverDue(now: Timestamp(milliseconds: start.milliseconds + 10_000)) == 1)
        #expect(webhooks.deliverDue(now: Timestamp(milliseconds: start.milliseconds + 29_000)) == 0)
        #expect(webhooks.deliverDue(now: Timestamp(milliseconds: start.milliseconds + 30_000)) == 1)
        #expect(webhooks.deliverDue(now: Timestamp(milliseconds: start.milliseconds + 999_000)) == 0)
        let row = try #require(try BatchRecords(fixture.connection).find(id: id))
        #expect(row.webhookStatus == "failed")
        #expect(row.webhookAttempts == 3)
        #expect(row.webhookLastError == "HTTP 503")
    }

    @Test(arguments: StoreBackend.allCases) func batchesWithoutAURLOrStillRunningAreLeftAlone(_ backend: StoreBackend) throws {
        let fixture = try Fixture(backend)
        _ = try fixture.finishedBatch(url: nil)
        var configuration = BatchConfiguration()
        configuration.notificationURL = "http://example.invalid/hook"
        _ = try BatchRecords(fixture.connection).create(
            NewBatch(name: "running", processor: "noop", configuration: configuration, items: [NewItem(content: [1], row: 1)]),
            tenantID: fixture.tenant.id,
            render: { _ in [] })
        #expect(dispatcher(fixture, receiver: Receiver(answers: [])).deliverDue() == 0)
    }
}
