import Foundation

/// A flag raised once when a service stops, with a sleep that it cuts short:
/// a thread waiting out its interval notices a stop at once instead of at the
/// end of the interval.
public final class StopSignal: @unchecked Sendable {
    // NSCondition rather than Mutex: sleepers must be woken, not only see the flag.
    private let condition = NSCondition()
    private var raised = false

    public init() {}

    public var isRaised: Bool {
        condition.lock()
        defer { condition.unlock() }
        return raised
    }

    /// Raises the flag and wakes every sleeper.
    public func raise() {
        condition.lock()
        raised = true
        condition.broadcast()
        condition.unlock()
    }

    /// Sleeps `milliseconds` or until the flag is raised. Returns false when it was.
    @discardableResult
    public func sleep(milliseconds: Int) -> Bool {
        let until = Date(timeIntervalSinceNow: Double(milliseconds) / 1000)
        condition.lock()
        defer { condition.unlock() }
        while !raised {
            if !condition.wait(until: until) { break }
        }
        return !raised
    }
}
