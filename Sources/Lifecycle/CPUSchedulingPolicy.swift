import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The Linux scheduling policy batchd's threads run under.
///
/// `batch` (`SCHED_BATCH`): a thread woken by another does not preempt the thread
/// running on that CPU; it runs when that one blocks or its slice ends. A request
/// here is a chain of short hops between processes (nginx → batchd → Redis and
/// back), each waking the next: under the default policy every wake-up could
/// preempt the process that sent it before it reached its own wait, and a
/// request cost about one switch more in batchd alone. Same priority and CPU
/// share as the default; what a woken thread may lose is the time until the
/// running one blocks — microseconds on this path, up to a scheduler slice
/// (a few ms) beside a CPU-bound neighbour. `normal` keeps the default.
public enum CPUSchedulingPolicy: String, Sendable, CaseIterable {
    case batch
    case normal

    /// The policy's `sched_setscheduler` constant.
    var linuxPolicy: Int32 {
        switch self {
        // Linux ABI values (glibc declares SCHED_BATCH only under _GNU_SOURCE).
        case .batch: 3
        case .normal: 0
        }
    }

    /// Why the policy could not be set: the thread and `errno`.
    public struct ApplyError: Error, Sendable, CustomStringConvertible {
        public let thread: Int32
        public let code: Int32
        public var description: String { "cannot set the scheduling policy of thread \(thread) (errno \(code))" }
    }

    /// Puts every thread of this process under the policy; threads started later
    /// inherit it from the thread that starts them (and child processes from theirs).
    /// A thread that ended meanwhile is skipped.
    public func applyToProcess() throws(ApplyError) {
        let threads = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        var parameters = sched_param(sched_priority: 0)
        for thread in threads.compactMap({ Int32($0) }) where sched_setscheduler(thread, linuxPolicy, &parameters) != 0 {
            if errno != ESRCH { throw ApplyError(thread: thread, code: errno) }
        }
    }

    /// The policy the calling thread runs under, if it is one of these.
    public static func ofCallingThread() -> CPUSchedulingPolicy? {
        let current = sched_getscheduler(0)
        return allCases.first { $0.linuxPolicy == current }
    }
}
