import Foundation
import Synchronization
import Testing

@testable import BatchAPI

#if canImport(Glibc)
    import Glibc
#endif

/// The lane runs work on its own lower-priority threads, at most `threads` at
/// once, and hands each caller its own result.
@Suite struct LowPriorityLaneTests {
    @Test func workRunsOnLowerPriorityThreadsAndReturnsItsResult() {
        let lane = LowPriorityLane(threads: 2, niceness: 7)
        let callerNice = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
        let caller = pthread_self()
        let (value, laneNice, onCaller) = lane.run { () -> (Int, Int32, Bool) in
            (42, getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0), pthread_equal(pthread_self(), caller) != 0)
        }
        #expect(value == 42)
        #expect(laneNice == min(19, callerNice + 7))
        #expect(!onCaller)
        // The caller's own priority is untouched.
        #expect(getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0) == callerNice)
    }

    @Test func atMostItsThreadsWorkAtOnce() {
        let lane = LowPriorityLane(threads: 2)
        let running = Atomic<Int>(0)
        let most = Atomic<Int>(0)
        let results = Mutex<[Int]>([])
        DispatchQueue.concurrentPerform(iterations: 8) { index in
            let value = lane.run { () -> Int in
                let now = running.add(1, ordering: .sequentiallyConsistent).newValue
                _ = most.max(now, ordering: .sequentiallyConsistent)
                usleep(20_000)
                running.subtract(1, ordering: .sequentiallyConsistent)
                return index * 10
            }
            results.withLock { $0.append(value) }
        }
        #expect(most.load(ordering: .sequentiallyConsistent) <= 2)
        #expect(results.withLock { $0.sorted() } == (0..<8).map { $0 * 10 })
    }
}
