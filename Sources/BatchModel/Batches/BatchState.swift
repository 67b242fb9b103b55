/// A batch's state as stored. Moves between states arrive with the scheduler;
/// this type fixes the names and how the native API spells them.
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

    /// Final states never change again.
    public var isFinal: Bool {
        switch self {
        case .completed, .failed, .cancelled: return true
        default: return false
        }
    }
}
