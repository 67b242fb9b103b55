import Testing

@testable import Lifecycle

@Suite struct FailureLogThrottleTests {
    /// The first failure, a different one, and the same one after the interval are
    /// logged (with how many went unlogged); the recovery reports the run's length.
    @Test func logsChangesAndOneRepeatAnIntervalThenTheRecovery() {
        var throttle = FailureLogThrottle(intervalMilliseconds: 1000)
        #expect(throttle.succeeded() == nil)
        #expect(throttle.failed("down", now: 0) == .log(unlogged: 0))
        #expect(throttle.failed("down", now: 100) == .quiet)
        #expect(throttle.failed("down", now: 999) == .quiet)
        #expect(throttle.failed("down", now: 1000) == .log(unlogged: 2))
        #expect(throttle.failed("refused", now: 1001) == .log(unlogged: 0))
        #expect(throttle.failed("refused", now: 1500) == .quiet)
        #expect(throttle.succeeded() == 6)
        #expect(throttle.succeeded() == nil)
        // After a recovery the same failure is news again.
        #expect(throttle.failed("refused", now: 1600) == .log(unlogged: 0))
    }
}
