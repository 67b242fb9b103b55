import Dispatch
import Lifecycle
import Synchronization
import Testing

@Suite(.serialized) struct CPUSchedulingPolicyTests {
    @Test func everyThreadAndThoseStartedLaterRunUnderThePolicy() throws {
        defer { try? CPUSchedulingPolicy.normal.applyToProcess() }
        try CPUSchedulingPolicy.batch.applyToProcess()
        #expect(CPUSchedulingPolicy.ofCallingThread() == .batch)
        let seen = Mutex<CPUSchedulingPolicy?>(nil)
        let done = DispatchSemaphore(value: 0)
        try WorkerThread.start(name: "policy-check") {
            seen.withLock { $0 = CPUSchedulingPolicy.ofCallingThread() }
            done.signal()
        }
        done.wait()
        #expect(seen.withLock { $0 } == .batch)
        try CPUSchedulingPolicy.normal.applyToProcess()
        #expect(CPUSchedulingPolicy.ofCallingThread() == .normal)
    }
}
