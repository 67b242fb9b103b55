public import BatchCache
public import BatchModel
public import BatchStore

/// What one worker thread owns: its SQLite connection, its Redis connection and
/// its key cache. Never shared between threads, so nothing here needs a lock.
public final class WorkerResources {
    public let database: StoreDatabase
    public let redis: RedisConnection?
    public let keyCache: KeyCache
    public let service: ServiceInfo
    /// Shared by every worker of the process.
    public let metrics: RequestMetrics
    /// Shared by every worker of the process: the cache TTLs in force.
    public let cacheSettings: CacheSettingsCell
    /// Shared by every worker and the scheduler: invalidations, kept for replay while Redis is away.
    public let invalidator: CacheInvalidator
    /// Shared by every worker: the rate limiter used while Redis is away.
    public let fallbackLimiter: LocalRateLimiter
    /// Shared by every worker: leased slices of tenants' budgets (nil: every
    /// request decided in Redis, as in unit tests).
    public let rateLimitLeases: RateLimitLeases?
    public let statusCache: StatusCache
    /// Shared by every worker: where requests with large bodies are worked on
    /// (nil: on the worker itself, as in unit tests).
    public let lane: LowPriorityLane?
    /// Shared by every worker: requests in flight per tenant and key (nil: unbounded, as in unit tests).
    public let budget: ConcurrencyBudget?
    /// This worker's references to the status mirror's entries (`StatusCacheMirror.Copies`).
    public var statusMirrorCopies = StatusCacheMirror.Copies()
    /// The `/v1/status` envelope this worker last rendered (`ServiceStatusHandler`).
    var serviceStatusRendered: ServiceStatusHandler.Rendered?
    private var connection: (any StoreConnection)?
    /// This worker's copy of the cache settings and the revision it was taken at.
    private var settingsCopy: (settings: CacheSettings, revision: Int) = (CacheSettings(), -1)
    /// The rate-limit lease states of the budgets this worker served.
    private var leasesByPolicy: [TenantPolicy: RateLimitLeases.TenantLease] = [:]
    private var lastLease: (found: TenantPolicy, lease: RateLimitLeases.TenantLease)?

    /// A tenant under one rate-limit policy: what a worker finds its lease by, without
    /// building the Redis key each request.
    private struct TenantPolicy: Hashable {
        var tenantID: String
        var policy: RateLimitPolicy
    }
    /// The budget counters of the keys this worker served (a key's tenant never changes).
    private var budgetSlotsByKey: [String: ConcurrencyBudget.Slots] = [:]
    /// The last dependency probe of this worker (monotonic ms, sqlite up, redis up).
    var lastProbe: (at: Int64, sqlite: Bool, redis: Bool)?

    public init(
        database: StoreDatabase, redis: RedisConnection?, service: ServiceInfo, metrics: RequestMetrics, keyCache: KeyCache = KeyCache(),
        cacheSettings: CacheSettingsCell = CacheSettingsCell(), invalidator: CacheInvalidator = CacheInvalidator(),
        fallbackLimiter: LocalRateLimiter = LocalRateLimiter(), statusCache: StatusCache = StatusCache(), lane: LowPriorityLane? = nil,
        budget: ConcurrencyBudget? = nil, rateLimitLeases: RateLimitLeases? = nil
    ) {
        self.lane = lane
        self.rateLimitLeases = rateLimitLeases
        self.budget = budget
        self.database = database
        self.redis = redis
        self.service = service
        self.metrics = metrics
        self.keyCache = keyCache
        self.cacheSettings = cacheSettings
        self.invalidator = invalidator
        self.fallbackLimiter = fallbackLimiter
        self.statusCache = statusCache
        redis?.onAvailabilityChange = { [metrics] available, reason in metrics.dependencies.record(.redis, up: available, reason: reason) }
    }

    /// The lease state of the tenant's rate-limit budget under `policy`, kept by this worker.
    func tenantLease(_ leases: RateLimitLeases, tenantID: String, policy: RateLimitPolicy, now: Int64) -> RateLimitLeases.TenantLease {
        // Most workers serve one tenant after another of the same few: the last one first.
        let found = TenantPolicy(tenantID: tenantID, policy: policy)
        if let last = lastLease, last.found == found { return last.lease }
        if let lease = leasesByPolicy[found] {
            lastLease = (found, lease)
            return lease
        }
        let lease = leases.tenant(
            key: RedisRateLimiter.budgetKey(tenantID: tenantID, policy: policy), intervalMilliseconds: policy.requests.intervalMilliseconds, now: now)
        leasesByPolicy[found] = lease
        lastLease = (found, lease)
        return lease
    }

    /// The concurrency-budget counters of `key` (of `tenant`), kept by this worker.
    func budgetSlots(_ budget: ConcurrencyBudget, tenant: String, key: String) -> ConcurrencyBudget.Slots {
        if let slots = budgetSlotsByKey[key] { return slots }
        let slots = budget.slots(tenant: tenant, key: key)
        budgetSlotsByKey[key] = slots
        return slots
    }

    /// This thread's store connection, opened on first use, reopened after a
    /// failure to open and after it broke (a PostgreSQL server that restarted
    /// costs each worker the one request that found its connection dead).
    public func store() throws(StoreError) -> any StoreConnection {
        let current = try database.connection(reusing: connection)
        connection = current
        return current
    }

    /// The cache TTLs in force: this worker's copy, refreshed only when the shared
    /// cell's revision moved (an atomic load a request, no lock).
    public func cacheSettingsNow() -> CacheSettings {
        if cacheSettings.currentRevision != settingsCopy.revision {
            let (settings, revision) = cacheSettings.snapshot()
            settingsCopy = (settings, revision)
        }
        return settingsCopy.settings
    }

    /// Drops the connection, e.g. after the file was replaced underneath it.
    public func resetStore() { connection = nil }
}
