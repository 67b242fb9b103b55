import Dispatch
import Lifecycle
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A few threads at a lower CPU priority that do the heavy part of requests
/// with large bodies (parsing, validating, storing) while the FastCGI worker
/// that took the request waits for them. On a busy machine one tenant's large
/// bodies then yield the CPU to every other request, and at most `threads` of
/// them are worked on at once; the rest wait their turn, in arrival order.
///
/// Linux keeps a nice value per thread, so lowering these threads' priority
/// leaves the rest of batchd as it was; they never raise it again (which an
/// unprivileged process may not).
public final class LowPriorityLane: Sendable {
    /// One request's work and the signal that it is done.
    private final class Job: @unchecked Sendable {
        let work: () -> Void
        let done = DispatchSemaphore(value: 0)
        init(_ work: @escaping () -> Void) { self.work = work }
    }

    private let queue = Mutex<[Job]>([])
    private let waiting = DispatchSemaphore(value: 0)
    public let threads: Int
    public let niceness: Int32

    public init(threads: Int, niceness: Int32 = 10) {
        self.threads = threads
        self.niceness = niceness
        for index in 0..<threads {
            WorkerThread.startOrExit(name: "lane-\(index)") { [self] in
                _ = nice(niceness)
                while true {
                    waiting.wait()
                    guard let job = queue.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) else { continue }
                    job.work()
                    job.done.signal()
                }
            }
        }
    }

    /// Runs `work` on one of the lane's threads and returns what it returned,
    /// blocking the calling thread until then.
    public func run<T>(_ work: @escaping () -> T) -> T {
        let outcome = LaneOutcome<T>()
        let job = Job { outcome.value = work() }
        queue.withLock { $0.append(job) }
        waiting.signal()
        job.done.wait()
        return outcome.value!
    }
}

/// What a lane's job returned, handed from the lane thread to the waiting one
/// (the job's semaphore orders the write before the read).
private final class LaneOutcome<T>: @unchecked Sendable {
    var value: T?
}
