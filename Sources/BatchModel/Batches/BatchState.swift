/// A batch's state and the moves between them (`shared/API.md` "State machine"):
/// `accumulating → queued → running ⇄ paused → completed | failed | cancelled`;
/// `accumulating` and `queued` may also be cancelled.
///
/// Client actions go through `applying(_:context:)`; the scheduler's own moves
/// (start, finish) through `starting()` and `finishing()`. Every move not listed
/// there is refused, and the refusal names what is allowed.
public enum BatchState: String, Sendable, CaseIterable {
    case accumulating
    case queued
    case running
    case paused
    case completed
    case failed
    case cancelled

    /// Wickson's word for the state (spec 000): `created` for queued.
    public var nativeName: String {
        switch self {
        case .queued: return "created"
        default: return rawValue
        }
    }

    /// Final states change only through `retry_failed` (completed) or never.
    public var isFinal: Bool {
        switch self {
        case .completed, .failed, .cancelled: return true
        default: return false
        }
    }

    /// Whether the scheduler may claim this batch's items.
    public var isRunnable: Bool { self == .queued || self == .running }

    /// What a transition needs to know about the batch beyond its state.
    public struct Facts: Sendable, Equatable {
        /// An item has started at some point (`started_at` is set).
        public var hasStarted: Bool
        /// Items that `retry_failed` would run again (failed or expired).
        public var retryableItems: Int

        public init(hasStarted: Bool, retryableItems: Int) {
            self.hasStarted = hasStarted
            self.retryableItems = retryableItems
        }
    }

    /// The state after a client's action, or nil when the action is not allowed.
    /// Cancelling a cancelled batch is allowed and changes nothing (idempotent).
    public func applying(_ action: BatchAction, facts: Facts) -> BatchState? {
        switch (action, self) {
        case (.cancel, .accumulating), (.cancel, .queued), (.cancel, .running), (.cancel, .paused), (.cancel, .cancelled):
            return .cancelled
        case (.submit, .accumulating):
            return .queued
        case (.pause, .queued), (.pause, .running):
            return .paused
        case (.resume, .paused):
            return facts.hasStarted ? .running : .queued
        case (.retryFailed, .completed) where facts.retryableItems > 0:
            return .queued
        default:
            return nil
        }
    }

    /// The actions a client may take now, for a 409's `allowed_actions`.
    public func allowedActions(facts: Facts) -> [BatchAction] {
        BatchAction.allCases.filter { applying($0, facts: facts) != nil }
    }

    /// The scheduler claimed the first item: queued becomes running.
    public func starting() -> BatchState? { self == .queued ? .running : nil }

    /// The states whose items the scheduler claims (`isRunnable`).
    public static let runnable = allCases.filter(\.isRunnable)
    /// The states a first claim moves on from (`starting()`), each with where it goes.
    public static let startMoves = allCases.compactMap { state in state.starting().map { (from: state, to: $0) } }
    /// The states `finishing()` moves on from: a batch in one of these still has
    /// items that may run or expire.
    public static let finishable = allCases.filter { $0.finishing() != nil }
    /// Where `finishing()` goes from every finishable state.
    public static let finished: BatchState = {
        let targets = Set(finishable.compactMap { $0.finishing() })
        precondition(targets.count == 1, "finishing() must lead to one state")
        return targets.first!
    }()
    /// The final states (`isFinal`): retention and webhooks apply to these.
    public static let finals = allCases.filter(\.isFinal)

    /// Every item reached a final state: running (or queued, for a batch whose items
    /// all expired or were empty) becomes completed. Paused batches finish too: their
    /// last running items may complete while paused.
    public func finishing() -> BatchState? {
        switch self {
        case .queued, .running, .paused: return .completed
        default: return nil
        }
    }
}

/// What a client may ask of a batch through `PUT /v1/batches/{id}/state`.
public enum BatchAction: String, Sendable, CaseIterable {
    case cancel
    case pause
    case resume
    case submit
    case retryFailed = "retry_failed"
}
