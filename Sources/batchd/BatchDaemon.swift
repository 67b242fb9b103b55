import ArgumentParser
import BatchAPI
import BatchModel
import BatchScheduler
import BatchStore
import FastCGI
import Foundation
import Lifecycle
import Logging

/// The daemon: reads its configuration, prepares the database, starts its
/// services (`DaemonServices`), and on SIGTERM or SIGINT stops them against one
/// deadline, `--grace-seconds` away: the server stops accepting and finishes
/// the requests in flight, the scheduler finishes the items it runs, webhooks
/// under way are recorded. It exits 0 whether or not everything finished in time.
@main
struct BatchDaemon: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "batchd", abstract: "Batch-processing API server (FastCGI responder).")

    @OptionGroup var settings: Configuration

    func run() throws {
        // First, while this is the only thread: every thread started later inherits it.
        let policy = CPUSchedulingPolicy(rawValue: settings.cpuScheduling) ?? .batch
        let applied = Result { () throws(CPUSchedulingPolicy.ApplyError) in try policy.applyToProcess() }
        let level = settings.level
        LoggingSystem.bootstrap { label in LogLineHandler(label: label, level: level) }
        LogBuffer.startFlushing()
        defer { LogBuffer.flushAll() }
        let logger = Logger(label: "batchd")
        if case .failure(let error) = applied {
            logger.warning("running under the default CPU scheduling policy", metadata: ["wanted": "\(policy)", "error": "\(error)"])
        }
        do {
            try serve(logger: logger)
        } catch let error as ExitCode {
            throw error
        } catch {
            logger.critical("cannot start", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
    }

    private func serve(logger: Logger) throws {
        for folder in StateLayout(settings.stateDir).folders {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        let database = settings.storeDatabase
        do {
            try database.prepare()
        } catch {
            throw DaemonServices.StartError(description: "cannot prepare database \(database.path): \(error)")
        }
        try FastCGIServer.initializeLibrary()
        var stopSignals = Self.takeSignals()

        // File inspection runs in helper processes: a file that breaks the
        // inspector ends a helper, never batchd.
        let inspection = settings.inspectionPool
        guard access(inspection.executable, X_OK) == 0 else {
            throw DaemonServices.StartError(description: "the inspection helper is missing or not executable: \(inspection.executable)")
        }
        let helpers = InspectionHelperPool(inspection)
        defer { helpers.shutdown() }
        let services = try DaemonServices(settings: settings, database: database, helpers: helpers)
        try services.group.start()
        logger.notice(
            "batchd started",
            metadata: [
                "version": "\(ServiceInfo.version)", "socket": "\(settings.socketPath)", "threads": "\(settings.threads)",
                "database": "\(database.path)", "redis": "\(settings.redisEndpoint)",
                "processors": "\(services.processorNames.joined(separator: ","))",
            ])

        var received: Int32 = 0
        sigwait(&stopSignals, &received)
        logger.notice("stopping", metadata: ["signal": "\(received)", "in_flight": "\(services.server.inFlight)"])
        let unfinished = services.group.stop(by: .now() + settings.graceSeconds)
        if unfinished.isEmpty {
            logger.notice("stopped")
        } else {
            logger.warning(
                "grace period ended with work still running",
                metadata: ["services": "\(unfinished.joined(separator: ","))", "in_flight": "\(services.server.inFlight)"])
        }
    }

    /// Called after FCGX_Init, which installs handlers of its own. A client going
    /// away must surface as a failed write (SIGPIPE ignored); a file-size limit
    /// reached must fail the one write, as a full disk does (SIGXFSZ ignored); and
    /// SIGTERM and SIGINT are blocked before any thread starts, so every thread
    /// inherits the mask and only the caller's `sigwait` on the returned set sees them.
    private static func takeSignals() -> sigset_t {
        signal(SIGPIPE, SIG_IGN)
        signal(SIGXFSZ, SIG_IGN)
        var stopSignals = sigset_t()
        sigemptyset(&stopSignals)
        for signalNumber in [SIGTERM, SIGINT] { sigaddset(&stopSignals, signalNumber) }
        pthread_sigmask(SIG_BLOCK, &stopSignals, nil)
        return stopSignals
    }
}
