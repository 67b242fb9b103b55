public import BatchCache
import BatchCodecs
import BatchDocuments
public import BatchModel
public import BatchStore
public import Dispatch
import Foundation
public import Lifecycle
public import Logging
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
public final class WebhookDispatcher: Service {
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
    let invalidator: CacheInvalidator
    public let name = "webhooks"
    /// Deliveries under way: batch id → tenant id.
    private let inFlight = Mutex<[String: String]>([:])
    /// Left by each delivery thread when its attempt is recorded: a stop waits for them.
    private let deliveries = DispatchGroup()
    private let poller: PeriodicWorker<any StoreConnection>

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
        // Two passes a second on one connection; deliveries run on threads of their own.
        var poller: PeriodicWorker<any StoreConnection>?
        let box = UnownedDispatcher()
        poller = PeriodicWorker(
            name: "webhooks", intervalMilliseconds: configuration.pollMilliseconds, logger: logger, connect: { try database.connect() },
            makePass: { _ in
                let redis = configuration.redisEndpoint.map {
                    RedisConnection(endpoint: $0, commandTimeoutMilliseconds: configuration.redisTimeoutMilliseconds)
                }
                return { connection, _ in
                    try box.dispatcher?.pass(connection, redis: redis)
                    return .wait
                }
            })
        self.poller = poller!
        box.dispatcher = self
    }

    public func start() throws { try poller.start() }

    /// No new deliveries start; those under way are waited for until the deadline.
    public func beginStopping() { poller.beginStopping() }

    public func finishStopping(by deadline: DispatchTime) -> Bool {
        poller.finishStopping(by: deadline) && deliveries.wait(timeout: deadline) == .success
    }

    private func pass(_ connection: any StoreConnection, redis: RedisConnection?) throws(StoreError) {
        _ = try deliverDue(using: connection, waitForDeliveries: false)
        for (batch, version) in connection.takeChangedBatches() where configuration.redisEndpoint != nil {
            invalidator.invalidate(redis, batch: batch, version: version)
        }
    }

    /// One pass on a connection of its own: every due delivery the bounds allow is
    /// attempted once, and the pass waits for them. Returns how many were started
    /// (0 when the store failed).
    @discardableResult
    public func deliverDue(now: Timestamp = .now()) -> Int {
        guard let connection = try? database.connect() else { return 0 }
        do {
            return try deliverDue(using: connection, now: now, waitForDeliveries: true)
        } catch {
            logger.error("webhook pass failed", metadata: ["error": "\(error)"])
            return 0
        }
    }

    /// One pass on `connection`: starts every due delivery the bounds allow, each on
    /// a thread of its own that records its attempt on a connection of its own.
    func deliverDue(using connection: any StoreConnection, now: Timestamp = .now(), waitForDeliveries: Bool) throws(StoreError) -> Int {
        let started = DispatchGroup()
        defer { if waitForDeliveries { started.wait() } }
        var count = 0
        let due = try WebhookDeliveries(connection).due(now: now)
        for batch in due {
            guard let url = batch.configuration.notificationURL, claim(batch) else { continue }
            let errors = batch.failed > 0 ? try ItemRecords(connection).errorSummary(batchID: batch.id) : []
            let body = JSONWriter.bytes(["event": "batch.finished", "data": BatchStatusDocument.render(batch, errors: errors, now: now)])
            let headers = [
                "Content-Type": "application/json",
                WebhookSignature.header: WebhookSignature.sign(body: body, secret: secret, timestamp: now.seconds),
                "X-Batchd-Batch-Id": batch.id,
            ]
            let attempt = batch.webhookAttempts + 1
            started.enter()
            deliveries.enter()
            let finished: @Sendable () -> Void = { [self] in
                inFlight.withLock { _ = $0.removeValue(forKey: batch.id) }
                deliveries.leave()
                started.leave()
            }
            do {
                try WorkerThread.start(name: "webhook-send") { [self] in
                    defer { finished() }
                    deliver(batchID: batch.id, url: url, body: body, headers: headers, attempt: attempt, now: now)
                }
                count += 1
            } catch {
                // Out of threads: the batch stays due for a later pass.
                logger.error("webhook delivery not started", metadata: ["batch_id": "\(batch.id)", "error": "\(error)"])
                finished()
            }
        }
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
                for (changed, version) in connection.takeChangedBatches() { invalidator.invalidate(redis, batch: changed, version: version) }
            }
        } catch {
            logger.error("webhook attempt not recorded", metadata: ["batch_id": "\(batchID)", "error": "\(error)"])
        }
        logger.info(
            failure == nil ? "webhook delivered" : "webhook failed",
            metadata: ["batch_id": "\(batchID)", "attempt": "\(attempt)", "error": "\(failure ?? "")"])
    }
}

/// The poller's passes call the dispatcher that owns the poller: a weak link, so
/// the two do not keep each other alive.
private final class UnownedDispatcher: @unchecked Sendable {
    // Written once in the dispatcher's initializer, before the poller starts.
    weak var dispatcher: WebhookDispatcher?
}
