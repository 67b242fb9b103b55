/// How a batch ended, as `wait` reports it in its exit status: 0 only when the
/// batch completed; each other end has its own code, so scripts can tell them apart.
public enum BatchOutcome: String, Sendable, CaseIterable {
    case completed
    case failed
    case cancelled
    case expired

    /// The outcome of a status word, or nil while the batch has not ended.
    public init?(status: String) { self.init(rawValue: status) }

    public var exitCode: Int32 {
        switch self {
        case .completed: 0
        case .failed: 3
        case .cancelled: 4
        case .expired: 5
        }
    }
}
