/// Which of a loop's repeated failures deserve a log line. A store that is down
/// fails every retry (several a second, on every thread); logging each buries the
/// log. Logged: the first failure, one whose text differs from the last logged,
/// one an interval while the same failure repeats (saying how many went unlogged),
/// and the recovery (saying how many failures it ended).
struct FailureLogThrottle {
    enum Decision: Equatable {
        /// Log this failure; `unlogged` repeats of the last logged one came before it.
        case log(unlogged: Int)
        case quiet
    }

    let intervalMilliseconds: Int64
    private var lastText: String?
    private var lastLoggedAt: Int64 = 0
    private var unlogged = 0
    private var failures = 0

    init(intervalMilliseconds: Int64 = 60_000) { self.intervalMilliseconds = intervalMilliseconds }

    /// A failure with `text` at `now` (monotonic milliseconds).
    mutating func failed(_ text: String, now: Int64) -> Decision {
        failures += 1
        guard text != lastText || now - lastLoggedAt >= intervalMilliseconds else {
            unlogged += 1
            return .quiet
        }
        defer {
            lastText = text
            lastLoggedAt = now
            unlogged = 0
        }
        return .log(unlogged: unlogged)
    }

    /// A pass that worked: how many failures in a row it ends, if any.
    mutating func succeeded() -> Int? {
        guard failures > 0 else { return nil }
        defer {
            failures = 0
            unlogged = 0
            lastText = nil
        }
        return failures
    }
}
