/// An item's state and its moves: `pending → processing → succeeded | failed`,
/// `pending | processing → cancelled`, `pending → expired`, and back to pending
/// when a lease is rescued or a failed or expired item is retried.
public enum ItemState: String, Sendable, CaseIterable {
    case pending
    case processing
    case succeeded
    case failed
    case cancelled
    case expired

    public var isFinal: Bool {
        switch self {
        case .succeeded, .failed, .cancelled, .expired: return true
        case .pending, .processing: return false
        }
    }

    /// The state every item starts in.
    public static let initial = ItemState.pending
    /// The final states (`isFinal`): what a results download shows and a seal stamps.
    public static let finals = allCases.filter(\.isFinal)

    /// The states `event` moves an item from.
    public static func sources(of event: ItemEvent) -> [ItemState] { allCases.filter { $0.applying(event) != nil } }

    /// Where `event` takes an item, whichever state it moves from (each event
    /// has one target; `ItemStateMachineTests` holds that).
    public static func target(of event: ItemEvent) -> ItemState {
        let targets = Set(sources(of: event).compactMap { $0.applying(event) })
        precondition(targets.count == 1, "\(event) must lead to one state")
        return targets.first!
    }

    /// The state of an item a worker holds a lease on: where a claim takes it.
    public static let leased = target(of: .claim)

    /// The state after `event`, or nil when the move is not allowed.
    public func applying(_ event: ItemEvent) -> ItemState? {
        switch (event, self) {
        case (.claim, .pending): return .processing
        case (.succeed, .processing): return .succeeded
        case (.fail, .processing): return .failed
        case (.cancel, .pending), (.cancel, .processing): return .cancelled
        case (.expire, .pending): return .expired
        case (.rescue, .processing): return .pending
        case (.retry, .failed), (.retry, .expired): return .pending
        default: return nil
        }
    }
}

/// What happens to an item.
public enum ItemEvent: String, Sendable, CaseIterable {
    /// A scheduler worker leased it.
    case claim
    case succeed
    case fail
    case cancel
    /// Its batch's completion window passed before it started.
    case expire
    /// Its lease ran out (the worker died); it goes back to pending.
    case rescue
    /// `retry_failed` runs it again.
    case retry
}
