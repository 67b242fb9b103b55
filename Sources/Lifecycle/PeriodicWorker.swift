public import Dispatch
public import Logging

/// Threads that each repeat one pass until their service stops: the loop every
/// background job of batchd shares (scheduler workers, the rescuer, the webhook
/// poller, cache housekeeping).
///
/// Each thread keeps one connection (a SQLite connection, say) across passes and
/// opens a new one after any error, which is logged and followed by a pause of
/// `retryMilliseconds`, so a store that stays broken is retried without spinning.
/// After a pass the thread sleeps `intervalMilliseconds` unless the pass said
/// there may be more work at once; a stop cuts the sleep short.
public final class PeriodicWorker<Connection>: Service {
    /// What a pass says about the next one.
    public enum Pace: Sendable {
        /// There may be more work: the next pass starts at once.
        case again
        /// Nothing more for now: the next pass starts after the interval.
        case wait
    }

    /// One thread's pass: its connection and the service's stop signal (a long
    /// pass checks it and ends early).
    public typealias Pass = (_ connection: Connection, _ stop: StopSignal) throws -> Pace

    public let name: String
    public let threads: Int
    public let intervalMilliseconds: Int
    public let retryMilliseconds: Int
    private let connect: @Sendable () throws -> Connection
    private let makePass: @Sendable (_ thread: Int) -> Pass
    private let logger: Logger
    private let stopSignal = StopSignal()
    private let exited = DispatchSemaphore(value: 0)

    /// `makePass` runs once on each thread, before its first pass: what it
    /// captures (a Redis connection, counters) belongs to that thread alone.
    public init(
        name: String, threads: Int = 1, intervalMilliseconds: Int, retryMilliseconds: Int = 200, logger: Logger,
        connect: @escaping @Sendable () throws -> Connection, makePass: @escaping @Sendable (_ thread: Int) -> Pass
    ) {
        self.name = name
        self.threads = threads
        self.intervalMilliseconds = intervalMilliseconds
        self.retryMilliseconds = retryMilliseconds
        self.logger = logger
        self.connect = connect
        self.makePass = makePass
    }

    public func start() throws {
        for index in 0..<threads {
            try WorkerThread.start(name: threads == 1 ? name : "\(name)-\(index)") { [self] in run(thread: index) }
        }
    }

    public func beginStopping() { stopSignal.raise() }

    public func finishStopping(by deadline: DispatchTime) -> Bool {
        for _ in 0..<threads where exited.wait(timeout: deadline) == .timedOut { return false }
        return true
    }

    private func run(thread: Int) {
        defer { exited.signal() }
        let pass = makePass(thread)
        var connection: Connection?
        var throttle = FailureLogThrottle()
        while !stopSignal.isRaised {
            do {
                let current = try connection ?? connect()
                connection = current
                let pace = try pass(current, stopSignal)
                if let failures = throttle.succeeded() {
                    logger.notice("background pass works again", metadata: ["worker": "\(name)", "failures": "\(failures)"])
                }
                if pace == .wait { stopSignal.sleep(milliseconds: intervalMilliseconds) }
            } catch {
                // The store failed (busy past its timeout, disk full, file gone, server
                // restarting): a new connection next time; the same failure logged once a minute.
                let now = Int64(DispatchTime.now().uptimeNanoseconds / 1_000_000)
                if case .log(let unlogged) = throttle.failed("\(error)", now: now) {
                    logger.error(
                        "background pass failed", metadata: ["worker": "\(name)", "error": "\(error)", "repeats_unlogged": "\(unlogged)"])
                }
                connection = nil
                stopSignal.sleep(milliseconds: retryMilliseconds)
            }
        }
    }
}
