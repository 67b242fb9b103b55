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

    public init(
        configuration: Configuration, database: StoreDatabase, secret: String, logger: Logger, sender: Sender? = nil,
        invalidator: CacheInvalidator = CacheInvalidator()
    ) {
        self.configuration = configuration
        self.invalidator = invalidator
        self.database = database
        self.secret = secret
        self.logger = logger
        let timeout = configuration.timeoutSeconds
        self.sender = sender ?? { url, body, headers in Self.post(url: url, body: body, headers: headers, timeout: timeout) }
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
                    if deliverDue(using: store) == nil { connection = nil }
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

    /// One pass on a connection of its own: every due delivery is attempted once.
    /// Returns how many were attempted (0 when the store failed).
    @discardableResult
    public func deliverDue(now: Timestamp = .now()) -> Int {
        guard let connection = try? database.connect() else { return 0 }
        return deliverDue(using: connection, now: now) ?? 0
    }

    /// One pass on `connection`; nil when the store failed (the caller reconnects).
    func deliverDue(using connection: SQLiteConnection, now: Timestamp = .now()) -> Int? {
        do {
            let deliveries = WebhookDeliveries(connection)
            let due = try deliveries.due(now: now)
            for batch in due {
                guard let url = batch.configuration.notificationURL else { continue }
                let errors = batch.failed > 0 ? try ItemRecords(connection).errorSummary(batchID: batch.id) : []
                let body = JSONWriter.bytes(["event": "batch.finished", "data": BatchStatusDocument.render(batch, errors: errors, now: now)])
                let headers = [
                    "Content-Type": "application/json", WebhookSignature.header: WebhookSignature.sign(body: body, secret: secret, timestamp: now.seconds),
                    "X-Batchd-Batch-Id": batch.id,
                ]
                let failure = sender(url, body, headers)
                let attempt = batch.webhookAttempts + 1
                var retryAt: Timestamp?
                if failure != nil, attempt < configuration.maxAttempts {
                    retryAt = Timestamp(milliseconds: now.milliseconds + Int64(configuration.baseDelaySeconds * 1000 * pow(2, Double(attempt - 1))))
                }
                try deliveries.record(batchID: batch.id, delivered: failure == nil, error: failure, retryAt: retryAt, now: now)
                logger.info(
                    failure == nil ? "webhook delivered" : "webhook failed",
                    metadata: ["batch_id": "\(batch.id)", "attempt": "\(attempt)", "error": "\(failure ?? "")"])
            }
            return due.count
        } catch {
            logger.error("webhook pass failed", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// A blocking POST through Foundation's URLSession; nil on a 2xx answer.
    static func post(url: String, body: [UInt8], headers: [String: String], timeout: Double) -> String? {
        guard let target = URL(string: url) else { return "invalid URL" }
        var request = URLRequest(url: target, timeoutInterval: timeout)
        request.httpMethod = "POST"
        request.httpBody = Data(body)
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let outcome = Mutex<String?>("no answer")
        let done = DispatchSemaphore(value: 0)
        let task = URLSession.shared.dataTask(with: request) { _, response, error in
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            let failure: String? = if let error { error.localizedDescription } else if (200..<300).contains(status) { nil } else { "HTTP \(status)" }
            outcome.withLock { $0 = failure }
            done.signal()
        }
        task.resume()
        if done.wait(timeout: .now() + timeout + 1) == .timedOut {
            task.cancel()
            return "timed out after \(Int(timeout)) s"
        }
        return outcome.withLock { $0 }
    }
}
