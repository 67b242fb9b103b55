import BatchAPI
import BatchCache
import BatchModel
import BatchScheduler
import BatchStore
import BatchWebhooks
import FastCGI
import Foundation
import Lifecycle
import Logging

/// batchd's services built from its settings, in dependency order: cache
/// housekeeping (the TTLs every other part reads), the scheduler, the webhook
/// dispatcher, and last the FastCGI server, so no request arrives before what
/// it relies on runs, and on a stop the server is the first to stop accepting.
struct DaemonServices {
    let group: ServiceGroup
    let server: FastCGIServer
    let processorNames: [String]

    /// Why batchd cannot start: said in the log, then exit 1.
    struct StartError: Error, CustomStringConvertible {
        let description: String
    }

    init(settings: Configuration, database: StoreDatabase, helpers: InspectionHelperPool) throws {
        let stateLayout = settings.stateLayout
        let startedAt = Timestamp.now()
        let ingestRoot = settings.ingestRoot.isEmpty ? nil : settings.ingestRoot
        let catalog = try Self.processors(settings: settings, ingestRoot: ingestRoot, helpers: helpers)
        processorNames = catalog.names.sorted()
        let blobDirectory = settings.blobDirectory
        try FileManager.default.createDirectory(atPath: blobDirectory, withIntermediateDirectories: true)
        let resultsFolder = settings.resultsFolder
        try FileManager.default.createDirectory(atPath: resultsFolder.directory, withIntermediateDirectories: true)

        // Shared by every worker and the scheduler of this process.
        let mirror = settings.statusMirrorMb > 0 ? StatusCacheMirror(endpoint: settings.redisEndpoint, maxBytes: settings.statusMirrorMb << 20) : nil
        let invalidator = CacheInvalidator(mirror: mirror)
        let cacheSettings = CacheSettingsCell()
        let metrics = RequestMetrics()
        let leases = settings.rateLimitLeaseMs > 0 ? RateLimitLeases(lifetimeMilliseconds: Int64(settings.rateLimitLeaseMs)) : nil
        let housekeeping = CacheHousekeeping(
            database: database, redis: settings.redisEndpoint, settings: cacheSettings, metrics: metrics, nodeName: settings.nodeName,
            startedAt: startedAt, leases: leases, mirror: mirror, logger: Logger(label: "batchd.cache"))

        var scheduling = Scheduler.Configuration()
        scheduling.workers = settings.schedulerWorkers
        scheduling.leaseSeconds = settings.leaseSeconds
        scheduling.rescueIntervalSeconds = settings.rescueSeconds
        scheduling.redisEndpoint = settings.redisEndpoint
        scheduling.redisTimeoutMilliseconds = settings.redisTimeoutMs
        scheduling.crashJournalPath = stateLayout.crashJournal
        scheduling.blobDirectory = blobDirectory
        scheduling.renderedResults = resultsFolder
        scheduling.claimLatency = metrics.claims
        let scheduler = Scheduler(
            configuration: scheduling, database: database, catalog: catalog, logger: Logger(label: "batchd.scheduler"), invalidator: invalidator)

        var delivery = WebhookDispatcher.Configuration()
        delivery.redisEndpoint = settings.redisEndpoint
        delivery.policy = settings.webhookPolicy
        delivery.redisTimeoutMilliseconds = settings.redisTimeoutMs
        let webhooks = WebhookDispatcher(
            configuration: delivery, database: database, secret: try Self.webhookSecret(settings: settings, database: database),
            logger: Logger(label: "batchd.webhooks"), invalidator: invalidator)

        var limits = BatchLimits()
        limits.maxItems = settings.maxItems
        limits.media = settings.mediaLimits
        limits.processors = catalog.names
        limits.ingestRoot = ingestRoot
        limits.webhooks = settings.webhookPolicy
        var serviceInfo = ServiceInfo(
            maxBodyBytes: settings.maxBodyBytes, maxInMemoryBodyBytes: settings.maxJsonBytes, batchLimits: limits, blobDirectory: blobDirectory)
        serviceInfo.startedAt = startedAt
        if resultsFolder.budgetBytes > 0 { serviceInfo.renderedResults = resultsFolder }
        serviceInfo.statusBuildDelayMilliseconds = settings.statusBuildDelayMs
        let service = serviceInfo
        let fallbackLimiter = LocalRateLimiter()
        // Large bodies are parsed and stored on as many low-priority threads as there are cores.
        let lane = LowPriorityLane(threads: max(2, ProcessInfo.processInfo.activeProcessorCount))
        let budget = settings.concurrencyBudget
        let (redisEndpoint, redisTimeout) = (settings.redisEndpoint, settings.redisTimeoutMs)
        server = FastCGIServer(
            configuration: .init(
                socketPath: settings.socketPath, socketMode: settings.socketFileMode, threadCount: settings.threads,
                maxBodyBytes: settings.maxBodyBytes),
            makeResponder: {
                let redis = RedisConnection(endpoint: redisEndpoint, commandTimeoutMilliseconds: redisTimeout)
                let resources = WorkerResources(
                    database: database, redis: redis, service: service, metrics: metrics, cacheSettings: cacheSettings, invalidator: invalidator,
                    fallbackLimiter: fallbackLimiter, lane: lane, budget: budget, rateLimitLeases: leases)
                return FastCGIBridge(application: APIApplication(resources: resources, logger: Logger(label: "batchd.api")))
            })
        group = ServiceGroup([housekeeping, scheduler, webhooks, server])
    }

    /// Ingest and noop, plus the exec processors of `--processors-file`.
    private static func processors(settings: Configuration, ingestRoot: String?, helpers: InspectionHelperPool) throws -> ProcessorCatalog {
        var processors: [any Processor] = [
            IngestProcessor(limits: settings.mediaLimits, isolation: .helpers(helpers), ingestRoot: ingestRoot), NoopProcessor(),
        ]
        if !settings.processorsFile.isEmpty {
            let workDirectory = settings.stateLayout.execWorkDirectory
            try FileManager.default.createDirectory(atPath: workDirectory, withIntermediateDirectories: true)
            do {
                processors += try ProcessorRegistry.load(path: settings.processorsFile, workDirectory: workDirectory, ingestRoot: ingestRoot)
            } catch {
                throw StartError(description: "cannot load processors: \(error)")
            }
        }
        return ProcessorCatalog(processors)
    }

    /// `--webhook-secret`, or the one generated on first start and kept in the database.
    private static func webhookSecret(settings: Configuration, database: StoreDatabase) throws -> String {
        guard settings.webhookSecret.isEmpty else { return settings.webhookSecret }
        do {
            return try SettingsRecords(try database.connect()).value(scope: "webhooks", key: "secret") { APIKeySecret.generate().value }
        } catch {
            throw StartError(description: "cannot read the webhook secret: \(error)")
        }
    }
}
