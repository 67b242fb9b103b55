public import BatchCache
public import BatchModel
public import BatchStore
public import Dispatch
import Foundation
public import Lifecycle
public import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The internal scheduler: worker threads (never the FastCGI workers) that claim
/// items under a lease, run them through their batch's processor, and commit the
/// results behind the lease fence; and a rescuer that hands back the items of
/// leases that ran out, expires items past their batch's completion window and
/// purges batches past their retention, at start and periodically.
///
/// Stopping: no new claims; each worker finishes what it holds within the grace
/// period, and anything claimed but not started is handed back.
public final class Scheduler: Service {
    public struct Configuration: Sendable {
        /// Worker threads, each with its own SQLite connection.
        public var workers: Int = 2
        public var leaseSeconds: Int = 60
        /// Attempts before a rescued item fails with `processing_error`.
        public var maxAttempts: Int = 3
        /// Sleep when nothing is runnable.
        public var idleMilliseconds: Int = 50
        public var rescueIntervalSeconds: Int = 5
        /// Where cached status documents live; nil runs without a cache to invalidate.
        public var redisEndpoint: RedisEndpoint?
        public var redisTimeoutMilliseconds: Int = 50
        /// Where a dying process writes the items its workers were running; nil keeps no journal.
        public var crashJournalPath: String?
        /// Where upload blobs are: orphans are swept at start (before requests are
        /// served, so every unowned blob is one) and every `blobSweepIntervalSeconds`
        /// (then only blobs older than an hour: an upload may be writing one).
        public var blobDirectory: String?
        public var blobSweepIntervalSeconds = 600
        /// Rendered results downloads: a purged batch's go with it, and the folder
        /// is trimmed to its budget every `blobSweepIntervalSeconds`.
        public var renderedResults: RenderedResultsFolder?
        /// Where the time of each claim that got items is recorded, if anywhere (`/metrics`).
        public var claimLatency: LatencyHistogram?

        public init() {}
    }

    public let configuration: Configuration
    private let database: StoreDatabase
    private let catalog: ProcessorCatalog
    private let claimSizes: ClaimSizes
    private let logger: Logger
    private let instance: String
    public let name = "scheduler"
    /// Started by `start()` once the leftovers of the last run are dealt with.
    private let workers = Mutex<[PeriodicWorker<any StoreConnection>]>([])
    /// Shared with the API workers: invalidations that could not reach Redis are replayed by whoever gets there first.
    private let invalidator: CacheInvalidator

    public init(
        configuration: Configuration, database: StoreDatabase, catalog: ProcessorCatalog, logger: Logger,
        invalidator: CacheInvalidator = CacheInvalidator()
    ) {
        self.configuration = configuration
        self.database = database
        self.catalog = catalog
        claimSizes = catalog.claimSizes
        self.logger = logger
        self.invalidator = invalidator
        self.instance = ResourceID.make(.lease)
    }

    /// One Redis connection for the calling thread, or nil without a cache.
    private func makeRedis() -> RedisConnection? {
        configuration.redisEndpoint.map { RedisConnection(endpoint: $0, commandTimeoutMilliseconds: configuration.redisTimeoutMilliseconds) }
    }

    /// After a commit: a batch that started, finished or expired must not be
    /// shown in its old state by a cached status document.
    private func publishChanges(_ connection: any StoreConnection, _ redis: RedisConnection?) {
        guard configuration.redisEndpoint != nil else {
            _ = connection.takeChangedBatches()
            return
        }
        for (batch, version) in connection.takeChangedBatches() {
            invalidator.invalidate(redis, batch: batch, version: version)
        }
    }

    /// Ends commands a killed predecessor left running, rescues expired leases
    /// once, then starts the workers and the rescuer.
    public func start() throws {
        for directory in catalog.execWorkDirectories {
            let killed = ExecProcessor.killOrphans(workDirectory: directory, programs: catalog.execPrograms)
            if killed > 0 { logger.notice("orphaned commands killed", metadata: ["count": "\(killed)"]) }
        }
        let connection = try database.connect()
        if let journal = configuration.crashJournalPath {
            // Items that were running when the previous process died of a fatal
            // signal: counted against them, and released now rather than at lease expiry.
            let (retried, failed) = try ItemLeases(connection).recordServerCrash(itemIDs: CrashJournal.take(path: journal))
            if retried + failed > 0 {
                logger.warning("items running when batchd last crashed", metadata: ["retried": "\(retried)", "failed_for_good": "\(failed)"])
            }
            CrashJournal.install(path: journal)
        }
        let (rescued, failed) = try ItemLeases(connection).rescueExpired(maxAttempts: configuration.maxAttempts)
        if rescued + failed > 0 { logger.notice("leases rescued at start", metadata: ["rescued": "\(rescued)", "failed": "\(failed)"]) }
        // Alone on the store, nothing is being written at start: every leftover goes.
        // With other nodes, one of them may be writing an upload or staging a create
        // right now: only leftovers older than an hour go (here and every sweep).
        let alone = !connection.dialect.isSharedByNodes
        sweepBlobs(connection, minimumAgeSeconds: alone ? 0 : Self.leftoverAgeSeconds)
        try discardStagedLeftovers(connection, all: alone)
        publishChanges(connection, makeRedis())
        let claimers = PeriodicWorker(
            name: "scheduler", threads: configuration.workers, intervalMilliseconds: configuration.idleMilliseconds, logger: logger,
            connect: { [database] in try database.connect() },
            makePass: { [self] index in
                CrashJournal.register(slot: index)
                let redis = makeRedis()
                // After a pass that found nothing, the next looks before it claims.
                var idle = false
                return { [self] connection, stop in
                    let pace = try claimAndRun(connection, redis: redis, owner: "\(instance)-\(index)", slot: index, stop: stop, idle: idle)
                    if case .wait = pace { idle = true } else { idle = false }
                    return pace
                }
            })
        let rescuer = PeriodicWorker(
            name: "rescuer", intervalMilliseconds: configuration.rescueIntervalSeconds * 1000, logger: logger,
            connect: { [database] in try database.connect() },
            makePass: { [self] _ in
                let redis = makeRedis()
                var lastSweep = SystemClock.monotonicMilliseconds()
                return { [self] connection, _ in
                    try maintain(connection, redis: redis)
                    if SystemClock.monotonicMilliseconds() - lastSweep >= Int64(configuration.blobSweepIntervalSeconds) * 1000 {
                        lastSweep = SystemClock.monotonicMilliseconds()
                        sweepBlobs(connection, minimumAgeSeconds: Self.leftoverAgeSeconds)
                        configuration.renderedResults?.trim()
                        if connection.dialect.isSharedByNodes { try discardStagedLeftovers(connection, all: false) }
                    }
                    return .wait
                }
            })
        try claimers.start()
        try rescuer.start()
        workers.withLock { $0 = [claimers, rescuer] }
    }

    /// No new claims; what a worker claimed but has not started is handed back.
    public func beginStopping() {
        for worker in workers.withLock({ $0 }) { worker.beginStopping() }
    }

    /// Waits for the items being run to finish, until `deadline`.
    public func finishStopping(by deadline: DispatchTime) -> Bool {
        workers.withLock { $0 }.allSatisfy { $0.finishStopping(by: deadline) }
    }

    /// One claim of runnable items for `owner`, run one after another; `.wait`
    /// when there was nothing to claim. `idle`: the worker's last pass found
    /// nothing (the claim looks before it takes locks).
    private func claimAndRun(
        _ store: any StoreConnection, redis: RedisConnection?, owner: String, slot: Int, stop: StopSignal, idle: Bool
    ) throws(StoreError) -> PeriodicWorker<any StoreConnection>.Pace {
        let leases = ItemLeases(store)
        let started = SystemClock.monotonicMicroseconds()
        let claimed = try leases.claim(owner: owner, leaseSeconds: configuration.leaseSeconds, sizes: claimSizes, lookFirst: idle)
        publishChanges(store, redis)
        if claimed.isEmpty { return .wait }
        configuration.claimLatency?.observe(microseconds: Int(SystemClock.monotonicMicroseconds() - started))
        var completions: [ItemCompletion] = []
        completions.reserveCapacity(claimed.count)
        for (index, item) in claimed.enumerated() {
            if stop.isRaised {
                try leases.complete(completions)
                try leases.release(Array(claimed[index...]))
                publishChanges(store, redis)
                return .wait
            }
            CrashJournal.running(item.id, slot: slot)
            completions.append(run(item, control: control(for: item)))
            CrashJournal.running(nil, slot: slot)
        }
        try leases.complete(completions)
        publishChanges(store, redis)
        return .again
    }

    /// Stop when the item's lease is gone (cancelled, rescued): checked, and the
    /// lease renewed, at most once a second.
    private func control(for item: ClaimedItem) -> ProcessingControl {
        let check = LeaseCheck(item: item, database: database, leaseSeconds: configuration.leaseSeconds)
        return ProcessingControl { check.leaseLost() }
    }

    private func run(_ item: ClaimedItem, control: ProcessingControl) -> ItemCompletion {
        let started = Timestamp.now()
        let clock = SystemClock.monotonicMilliseconds()
        let outcome: ItemOutcome
        if let processor = catalog.processor(named: item.processor) {
            outcome = processor.process(item, control: control)
        } else {
            outcome = .failed(errorType: "processing_error", message: "Unknown processor '\(item.processor)'", details: nil)
        }
        return ItemCompletion(item: item, outcome: outcome, startedAt: started, durationMilliseconds: SystemClock.monotonicMilliseconds() - clock)
    }

    /// How old an upload blob or a staged create must be before it counts as left
    /// over while something may still be writing it: far longer than any request.
    static let leftoverAgeSeconds = 3600

    /// Removes staged batches (creates a crash cut short): all, or those older
    /// than `leftoverAgeSeconds`; and says so.
    private func discardStagedLeftovers(_ connection: any StoreConnection, all: Bool) throws(StoreError) {
        let cutoff = all ? nil : Timestamp(milliseconds: Timestamp.now().milliseconds - Int64(Self.leftoverAgeSeconds) * 1000)
        let staged = try BatchRecords(connection).discardStagedLeftovers(createdBefore: cutoff)
        if staged > 0 { logger.notice("batches left half-written by a crash removed", metadata: ["count": "\(staged)"]) }
    }

    /// Removes upload blobs no item owns (`OrphanBlobSweep`), and says so.
    private func sweepBlobs(_ connection: any StoreConnection, minimumAgeSeconds: Int) {
        guard let directory = configuration.blobDirectory else { return }
        do {
            let removed = try OrphanBlobSweep(connection).sweep(directory: directory, minimumAgeSeconds: minimumAgeSeconds)
            if !removed.isEmpty { logger.notice("orphaned upload blobs removed", metadata: ["count": "\(removed.count)"]) }
        } catch {
            logger.error("blob sweep failed", metadata: ["error": "\(error)"])
        }
    }

    /// The rescuer's pass: expired leases handed back, overdue items expired,
    /// batches past their retention purged.
    private func maintain(_ connection: any StoreConnection, redis: RedisConnection?) throws(StoreError) {
        let (rescued, failed) = try ItemLeases(connection).rescueExpired(maxAttempts: configuration.maxAttempts)
        if rescued + failed > 0 { logger.notice("leases rescued", metadata: ["rescued": "\(rescued)", "failed": "\(failed)"]) }
        let maintenance = BatchMaintenance(connection)
        let expired = try maintenance.expireOverdue()
        if expired > 0 { logger.notice("items expired", metadata: ["count": "\(expired)"]) }
        let purged = try maintenance.purgeExpired()
        publishChanges(connection, redis)
        for batch in purged.batches { invalidator.invalidate(redis, batch: batch, version: StatusCache.goneVersion) }
        for blob in purged.blobs { unlink(blob) }
        for batch in purged.batches { configuration.renderedResults?.removeFiles(ofBatch: batch.batchID) }
        for batch in purged.batches { logger.notice("batch purged after its retention", metadata: ["batch_id": "\(batch.batchID)"]) }
    }
}

/// Renews one item's lease while a processor works on it, and says when it is lost.
/// Called only from the worker thread running the item, which is why it may keep
/// a connection of its own without a lock.
private final class LeaseCheck: @unchecked Sendable {
    let item: ClaimedItem
    let database: StoreDatabase
    let leaseSeconds: Int
    private var checkedAt = SystemClock.monotonicMilliseconds()
    private var lost = false
    private var connection: (any StoreConnection)?

    init(item: ClaimedItem, database: StoreDatabase, leaseSeconds: Int) {
        self.item = item
        self.database = database
        self.leaseSeconds = leaseSeconds
    }

    func leaseLost() -> Bool {
        let now = SystemClock.monotonicMilliseconds()
        guard !lost, now - checkedAt >= 1000 else { return lost }
        checkedAt = now
        do {
            let store = try database.connection(reusing: connection)
            connection = store
            lost = try !ItemLeases(store).renew(item, leaseSeconds: leaseSeconds)
        } catch {
            // A busy store is no reason to abandon work; the next check retries.
        }
        return lost
    }
}
