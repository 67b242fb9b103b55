public import BatchCache
public import BatchModel
public import BatchStore
public import Dispatch
public import Lifecycle
public import Logging

/// The service that keeps this process's cache in step with the others: TTL
/// changes (made through the API or `batchctl`, in any process) are loaded four
/// times a second, so they are in use within a second; and this process's cache
/// hits and misses are added to the shared figures in Redis once a second; and
/// every 5 seconds this process announces itself in the node registry (`/readyz`'s
/// `nodes`) under `nodeName`; and four times a second the rate-limit leases that
/// ended unspent give their cells back; and four times a second the status
/// mirror subscribes (when it is not) or applies the invalidations that arrived.
public final class CacheHousekeeping: Service {
    public let name = "cache-housekeeping"
    private let worker: PeriodicWorker<any StoreConnection>

    public init(
        database: StoreDatabase, redis endpoint: RedisEndpoint, settings: CacheSettingsCell, metrics: RequestMetrics, nodeName: String,
        startedAt: Timestamp, leases: RateLimitLeases? = nil, mirror: StatusCacheMirror? = nil, logger: Logger
    ) {
        worker = PeriodicWorker(
            name: "cache-housekeeping", intervalMilliseconds: 250, logger: logger, connect: { try database.connect() },
            makePass: { _ in
                let redis = RedisConnection(endpoint: endpoint, commandTimeoutMilliseconds: 200)
                var added = (hits: 0, misses: 0)
                var pass = 0
                return { connection, _ in
                    // First: a store that fails must not silence the mirror's subscription too.
                    mirror?.maintain()
                    if let error = settings.refresh(connection) { throw error }
                    if let leases { RateLimitGate.refundExpiredLeases(leases, redis: redis, now: SystemClock.monotonicMilliseconds()) }
                    if pass % 20 == 0 {
                        try? NodeRegistry().announce(
                            redis, name: nodeName, version: ServiceInfo.version, startedAtMilliseconds: startedAt.milliseconds,
                            now: Timestamp.now().milliseconds)
                    }
                    pass += 1
                    if pass % 4 == 0 {
                        let now = metrics.cacheLookups
                        if (try? StatusCache().addStatistics(redis, hits: now.hits - added.hits, misses: now.misses - added.misses)) != nil {
                            added = now
                        }
                    }
                    return .wait
                }
            })
    }

    public func start() throws { try worker.start() }
    public func beginStopping() { worker.beginStopping() }
    public func finishStopping(by deadline: DispatchTime) -> Bool { worker.finishStopping(by: deadline) }
}
