import BatchAPI
import BatchCache
import BatchModel
import BatchStore
import Dispatch
import Foundation
import Logging
import Synchronization

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Delivers completion webhooks: when a batch with a `notification_url`
/// finishes, POSTs its final status document (the `data` of spec 000), signed
/// with `WebhookSignature`. A delivery that fails (no answer, not 2xx) is retried
/// with exponential backoff (`baseDelaySeconds` × 2ⁿ) up to `maxAttempts`; every
/// attempt is recorded on the batch and shown in its status.
///
/// Deliveries go only where `WebhookPolicy` allows (`WebhookClient`), and run
/// concurrently: at most `maxConcurrent` at once and `maxPerTenant` for any one
/// tenant, so a slow receiver delays only its own tenant's webhooks.
public final class WebhookDispatcher: Sendable {
    /// Sends one delivery; returns nil on a 2xx answer, else why it failed.
    public typealias Sender = @Sendable (_ url: String, _ body: [UInt8], _ headers: [String: String]) -> String?

    public struct Configuration: Sendable {
        public var maxAttempts = 8
        public var baseDelaySeconds = 2.0
        public var pollMilliseconds = 500
        public var timeoutSeconds = 10.0
        /// Where cached status documents live (they show delivery attempts); nil: no cache.
        public var redisEndpoint: RedisEndpoint?
        public var redisTimeoutMilliseconds = 50
        /// Where webhooks may go (public addresses, and the allow-list's hosts).
        public var policy = WebhookPolicy()
        public var maxConcurrent = 16
        public var maxPerTenant = 2
        public init() {}
    }

    let configuration: Configuration
    let database: StoreDatabase
    let secret: String
    let sender: Sender
    let logger: Logger
    private let stopping = Atomic<Bool>(false)
    private let exited = DispatchSemaphore(value: 0)
    let invalidator: CacheInvalidator
    /// Deliveries under way: batch id → tenant id.
    private let inFlight = Mutex<[String: String]>([:])

    public init(
        configuration: Configuration, database: StoreDatabase, secret: String, logger: Logger, sender: Sender? = nil,
        invalidator: CacheInvalidator = CacheInvalidator()
    ) {
        self.configuration = configuration
        self.invalidator = invalidator
        self.database = database
        self.secret = secret
        self.logger = logger
        let (timeout, policy) = (configuration.timeoutSeconds, configuration.policy)
        self.sender = sender ?? { url, body, headers in WebhookClient.post(url: url, body: body, headers: headers, timeout: timeout, policy: policy) }
    }

    public func start() {
        let thread = Thread { [self] in
            defer { exited.signal() }
            // The thread keeps one connection across passes (two a second), reopened after a failure.
            var connection: SQLiteConnection?
            let redis = configuration.redisEndpoint.map { RedisConnection(endpoint: $0, commandTimeoutMilliseconds: configuration.redisTimeoutMilliseconds) }
            while !stopping.load(ordering: .relaxed) {
                do {
                    let store = try connection ?? database.connect()
                    connection = store
                    if deliverDue(using: store, waitForDeliveries: false) == nil { connection = nil }
                    for (batchID, version) in store.takeChangedBatches() where configuration.redisEndpoint != nil {
                        invalidator.invalidate(redis, batchID: batchID, version: version)
                    }
                } catch {
                    logger.error("webhook pass failed", metadata: ["error": "\(error)"])
                }
                usleep(useconds_t(configuration.pollMilliseconds * 1000))
            }
        }
        thread.name = "webhooks"
        thread.start()
    }

    @discardableResult
    public func stop(grace: Double) -> Bool {
        stopping.store(true, ordering: .relaxed)
        return exited.wait(timeout: .now() + grace) == .success
    }

    /// One pass on a connection of its own: every due delivery the bounds allow is
    /// attempted once, and the pass waits for them. Returns how many were started
    /// (0 when the store failed).
    @discardableResult
    public func deliverDue(now: Timestamp = .now()) -> Int {
        guard let connection = try? database.connect() else { return 0 }
        return deliverDue(using: connection, now: now, waitForDeliveries: true) ?? 0
    }

    /// One pass on `connection`: starts every due delivery the bounds allow, each on
    /// a thread of its own that records its attempt on a connection of its own.
    /// nil when the store failed (the caller reconnects).
    func deliverDue(using connection: SQLiteConnection, now: Timestamp = .now(), waitForDeliveries: Bool) -> Int? {
        let started = DispatchGroup()
        var count = 0
        do {
            let due = try WebhookDeliveries(connection).due(now: now)
            for batch in due {
                guard let url = batch.configuration.notificationURL, claim(batch) else { continue }
                let errors = batch.failed > 0 ? try ItemRecords(connection).errorSummary(batchID: batch.id) : []
                let body = JSONWriter.bytes(["event": "batch.finished", "data": BatchStatusDocument.render(batch, errors: errors, now: now)])
                let headers = [
                    "Content-Type": "application/json", WebhookSignature.header: WebhookSignature.sign(body: body, secret: secret, timestamp: now.seconds),
                    "X-Batchd-Batch-Id": batch.id,
                ]
                let attempt = batch.webhookAttempts + 1
                count += 1
                started.enter()
                let thread = Thread { [self] in
                    defer {
                        inFlight.withLock { _ = $0.removeValue(forKey: batch.id) }
                        started.leave()
                    }
                    deliver(batchID: batch.id, url: url, body: body, headers: headers, attempt: attempt, now: now)
                }
                thread.name = "webhook-delivery"
                thread.start()
            }
        } catch {
            logger.error("webhook pass failed", metadata: ["error": "\(error)"])
            if waitForDeliveries { started.wait() }
            return nil
        }
        if waitForDeliveries { started.wait() }
        return count
    }

    /// Takes a delivery slot for `batch` unless it is already being delivered or
    /// the bounds are reached (it stays due for a later pass).
    private func claim(_ batch: BatchRow) -> Bool {
        inFlight.withLock { flying in
            guard flying[batch.id] == nil, flying.count < configuration.maxConcurrent,
                flying.values.filter({ $0 == batch.tenantID }).count < configuration.maxPerTenant
            else { return false }
            flying[batch.id] = batch.tenantID
            return true
        }
    }

    private func deliver(batchID: String, url: String, body: [UInt8], headers: [String: String], attempt: Int, now: Timestamp) {
        let failure = sender(url, body, headers)
        var retryAt: Timestamp?
        if failure != nil, attempt < configuration.maxAttempts {
            retryAt = Timestamp(milliseconds: now.milliseconds + Int64(configuration.baseDelaySeconds * 1000 * pow(2, Double(attempt - 1))))
        }
        do {
            let connection = try database.connect()
            try WebhookDeliveries(connection).record(batchID: batchID, delivered: failure == nil, error: failure, retryAt: retryAt, now: now)
            // The status document shows delivery attempts: drop its cached copies.
            if let endpoint = configuration.redisEndpoint {
                let redis = RedisConnection(endpoint: endpoint, commandTimeoutMilliseconds: configuration.redisTimeoutMilliseconds)
                for (changed, version) in connection.takeChangedBatches() { invalidator.invalidate(redis, batchID: changed, version: version) }
            }
        } catch {
            logger.error("webhook attempt not recorded", metadata: ["batch_id": "\(batchID)", "error": "\(error)"])
        }
        logger.info(
            failure == nil ? "webhook delivered" : "webhook failed",
            metadata: ["batch_id": "\(batchID)", "attempt": "\(attempt)", "error": "\(failure ?? "")"])
    }
}
