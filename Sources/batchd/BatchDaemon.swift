import ArgumentParser
import BatchAPI
import BatchCache
import BatchModel
import BatchScheduler
import BatchStore
import BatchWebhooks
import FastCGI
import Foundation
import Logging

/// The daemon: reads its configuration, prepares the database, starts the
/// FastCGI workers, and on SIGTERM or SIGINT stops accepting, lets requests in
/// flight finish within the grace period, and exits 0.
@main
struct BatchDaemon: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "batchd", abstract: "Batch-processing API server (FastCGI responder).")

    @OptionGroup var settings: Configuration

    func run() throws {
        let level = settings.level
        LoggingSystem.bootstrap { label in LogLineHandler(label: label, level: level) }
        LogBuffer.startFlushing()
        defer { LogBuffer.flushAll() }
        let logger = Logger(label: "batchd")

        for folder in ["var", "run", "log"] {
            try FileManager.default.createDirectory(atPath: settings.stateDir + "/" + folder, withIntermediateDirectories: true)
        }
        let database = settings.storeDatabase
        do {
            try database.prepare()
        } catch {
            logger.critical("cannot prepare database", metadata: ["path": "\(database.path)", "error": "\(error)"])
            throw ExitCode(1)
        }

        try FastCGIServer.initializeLibrary()
        // After FCGX_Init, which installs its own handlers: a client going away must
        // surface as a failed write, and stop signals are taken by sigwait below.
        signal(SIGPIPE, SIG_IGN)
        // A file-size limit reached (RLIMIT_FSIZE) must fail the one write, as a full
        // disk does, not end the process.
        signal(SIGXFSZ, SIG_IGN)
        var stopSignals = sigset_t()
        sigemptyset(&stopSignals)
        for signalNumber in [SIGTERM, SIGINT] { sigaddset(&stopSignals, signalNumber) }
        // Blocked before any thread starts, so every thread inherits the mask and
        // only the sigwait below ever sees these signals.
        pthread_sigmask(SIG_BLOCK, &stopSignals, nil)

        // File inspection runs in helper processes: a file that breaks the
        // inspector ends a helper, never batchd.
        let inspection = settings.inspectionPool
        guard access(inspection.executable, X_OK) == 0 else {
            logger.critical("the inspection helper is missing or not executable", metadata: ["path": "\(inspection.executable)"])
            throw ExitCode(1)
        }
        let helpers = InspectionHelperPool(inspection)
        defer { helpers.shutdown() }
        let ingestRoot = settings.ingestRoot.isEmpty ? nil : settings.ingestRoot
        var processors: [any Processor] = [IngestProcessor(limits: settings.mediaLimits, isolation: .helpers(helpers), ingestRoot: ingestRoot), NoopProcessor()]
        if !settings.processorsFile.isEmpty {
            let workDirectory = settings.stateDir + "/run/exec"
            try FileManager.default.createDirectory(atPath: workDirectory, withIntermediateDirectories: true)
            do {
                processors += try ProcessorRegistry.load(path: settings.processorsFile, workDirectory: workDirectory, ingestRoot: ingestRoot)
            } catch {
                logger.critical("cannot load processors", metadata: ["error": "\(error)"])
                throw ExitCode(1)
            }
        }
        let catalog = ProcessorCatalog(processors)
        var limits = BatchLimits()
        limits.maxItems = settings.maxItems
        limits.media = settings.mediaLimits
        limits.processors = catalog.names
        limits.ingestRoot = ingestRoot
        limits.webhooks = settings.webhookPolicy
        let blobDirectory = settings.stateDir + "/var/blobs"
        try FileManager.default.createDirectory(atPath: blobDirectory, withIntermediateDirectories: true)
        var serviceInfo = ServiceInfo(
            maxBodyBytes: settings.maxBodyBytes, maxInMemoryBodyBytes: settings.maxJsonBytes, batchLimits: limits, blobDirectory: blobDirectory)
        serviceInfo.statusBuildDelayMilliseconds = settings.statusBuildDelayMs
        let service = serviceInfo
        var schedulerConfiguration = Scheduler.Configuration()
        schedulerConfiguration.workers = settings.schedulerWorkers
        schedulerConfiguration.leaseSeconds = settings.leaseSeconds
        schedulerConfiguration.rescueIntervalSeconds = settings.rescueSeconds
        schedulerConfiguration.redisEndpoint = settings.redisEndpoint
        schedulerConfiguration.redisTimeoutMilliseconds = settings.redisTimeoutMs
        schedulerConfiguration.crashJournalPath = settings.stateDir + "/run/crashed-items"
        schedulerConfiguration.blobDirectory = blobDirectory
        // Shared by every worker and the scheduler of this process.
        let invalidator = CacheInvalidator()
        let cacheSettings = CacheSettingsCell()
        let metrics = RequestMetrics()
        // TTL changes (API or batchctl, any process) are in use within a second; this
        // process's cache hits and misses reach the shared figures in Redis once a second.
        let settingsLogger = Logger(label: "batchd.cache")
        let figuresRedis = settings.redisEndpoint
        let refresher = Thread {
            var connection: SQLiteConnection?
            let redis = RedisConnection(endpoint: figuresRedis, commandTimeoutMilliseconds: 200)
            var added = (hits: 0, misses: 0)
            var tick = 0
            while true {
                if connection == nil { connection = try? database.connect() }
                if let current = connection, let error = cacheSettings.refresh(current) {
                    settingsLogger.warning("cannot read cache settings", metadata: ["error": "\(error)"])
                    connection = nil
                }
                tick += 1
                if tick % 4 == 0 {
                    let now = metrics.cacheLookups
                    if (try? StatusCache().addStatistics(redis, hits: now.hits - added.hits, misses: now.misses - added.misses)) != nil { added = now }
                }
                usleep(250_000)
            }
        }
        refresher.name = "cache-housekeeping"
        refresher.start()
        let fallbackLimiter = LocalRateLimiter()
        // Large bodies are parsed and stored on as many low-priority threads as there are cores.
        let lane = LowPriorityLane(threads: max(2, ProcessInfo.processInfo.activeProcessorCount))
        let budget = settings.concurrencyBudget
        let scheduler = Scheduler(
            configuration: schedulerConfiguration, database: database, catalog: catalog, logger: Logger(label: "batchd.scheduler"),
            invalidator: invalidator)
        let redisEndpoint = settings.redisEndpoint
        let redisTimeout = settings.redisTimeoutMs
        let server = FastCGIServer(
            configuration: .init(
                socketPath: settings.socketPath, socketMode: mode_t(UInt32(settings.socketMode, radix: 8) ?? 0o660),
                threadCount: settings.threads, maxBodyBytes: settings.maxBodyBytes),
            makeResponder: {
                let redis = RedisConnection(endpoint: redisEndpoint, commandTimeoutMilliseconds: redisTimeout)
                let resources = WorkerResources(
                    database: database, redis: redis, service: service, metrics: metrics, cacheSettings: cacheSettings, invalidator: invalidator,
                    fallbackLimiter: fallbackLimiter, lane: lane, budget: budget)
                return FastCGIBridge(application: APIApplication(resources: resources, logger: Logger(label: "batchd.api")))
            })
        let secret: String
        do {
            secret = settings.webhookSecret.isEmpty
                ? try SettingsRecords(try database.connect()).value(scope: "webhooks", key: "secret") { APIKeySecret.generate().value }
                : settings.webhookSecret
        } catch {
            logger.critical("cannot read the webhook secret", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
        var webhookConfiguration = WebhookDispatcher.Configuration()
        webhookConfiguration.redisEndpoint = redisEndpoint
        webhookConfiguration.policy = settings.webhookPolicy
        webhookConfiguration.redisTimeoutMilliseconds = redisTimeout
        let webhooks = WebhookDispatcher(
            configuration: webhookConfiguration, database: database, secret: secret, logger: Logger(label: "batchd.webhooks"), invalidator: invalidator)
        do {
            try scheduler.start()
            webhooks.start()
            try server.start()
        } catch {
            logger.critical("cannot start", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
        logger.notice(
            "batchd started",
            metadata: [
                "version": "\(ServiceInfo.version)", "socket": "\(settings.socketPath)", "threads": "\(settings.threads)",
                "database": "\(database.path)", "redis": "\(redisEndpoint)", "processors": "\(catalog.names.sorted().joined(separator: ","))",
            ])

        var received: Int32 = 0
        sigwait(&stopSignals, &received)
        logger.notice("stopping", metadata: ["signal": "\(received)", "in_flight": "\(server.inFlight)"])
        let serverStopped = server.stop(grace: settings.graceSeconds)
        let schedulerStopped = scheduler.stop(grace: settings.graceSeconds)
        let webhooksStopped = webhooks.stop(grace: settings.graceSeconds)
        let clean = serverStopped && schedulerStopped && webhooksStopped
        if clean {
            logger.notice("stopped")
        } else {
            logger.warning("grace period ended with requests still running", metadata: ["in_flight": "\(server.inFlight)"])
        }
    }
}
