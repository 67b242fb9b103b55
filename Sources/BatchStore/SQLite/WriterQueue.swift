import BatchModel
import Dispatch
import Synchronization

/// SQLite has one writer. Rather than every thread of batchd racing for it and
/// failing with "database is busy" when its busy timeout runs out, write
/// transactions of one process take turns here, first come first served (so no
/// tenant's write is passed over while others keep arriving). SQLite's own busy
/// timeout still covers other processes (`batchctl`).
public final class WriterQueue: Sendable {
    private struct State {
        var busy = false
        var waiting: [DispatchSemaphore] = []
        /// When the writer now holding the turn got it (monotonic microseconds).
        var heldSince: Int64?
        var statistics = WriterStatistics()
    }

    private let state = Mutex(State())
    /// How long a write may wait for its turn before it is `.busy` after all.
    public let timeoutMilliseconds: Int

    public init(timeoutMilliseconds: Int = 30_000) { self.timeoutMilliseconds = timeoutMilliseconds }

    /// Waits for the writer's turn; false when `timeoutMilliseconds` passed first.
    public func acquire() -> Bool {
        guard waitForTurn() else {
            state.withLock { $0.statistics.timedOut += 1 }
            return false
        }
        let now = SystemClock.monotonicMicroseconds()
        state.withLock { $0.heldSince = now }
        return true
    }

    private func waitForTurn() -> Bool {
        let turn: DispatchSemaphore? = state.withLock { state in
            guard state.busy else {
                state.busy = true
                return nil
            }
            let turn = DispatchSemaphore(value: 0)
            state.waiting.append(turn)
            return turn
        }
        guard let turn else { return true }
        if turn.wait(timeout: .now() + .milliseconds(timeoutMilliseconds)) == .success { return true }
        // Gave up; unless the turn was handed over in that very moment.
        let gaveUp = state.withLock { state in
            guard let at = state.waiting.firstIndex(where: { $0 === turn }) else { return false }
            state.waiting.remove(at: at)
            return true
        }
        if gaveUp { return false }
        turn.wait()
        return true
    }

    /// Hands the turn to the next writer waiting, if any.
    public func release() {
        let now = SystemClock.monotonicMicroseconds()
        let next: DispatchSemaphore? = state.withLock { state in
            if let since = state.heldSince {
                state.statistics.record(holdMicroseconds: now - since)
                state.heldSince = nil
            }
            guard !state.waiting.isEmpty else {
                state.busy = false
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?.signal()
    }

    /// How long writers have held the turn since start.
    public var statistics: WriterStatistics { state.withLock { $0.statistics } }
}

/// How the single writer has been shared: turns taken, the longest held, how many
/// went past `WriterStatistics.targetMilliseconds` (what a chunk of a large create
/// is sized to stay under) and how many waits ran out.
public struct WriterStatistics: Sendable, Equatable {
    /// No write transaction should hold the writer longer than this.
    public static let targetMilliseconds = 100

    public var holds = 0
    public var longestMicroseconds: Int64 = 0
    public var holdsOverTarget = 0
    public var totalMicroseconds: Int64 = 0
    public var timedOut = 0

    public init() {}

    mutating func record(holdMicroseconds microseconds: Int64) {
        holds += 1
        totalMicroseconds += microseconds
        longestMicroseconds = max(longestMicroseconds, microseconds)
        if microseconds > Int64(Self.targetMilliseconds) * 1000 { holdsOverTarget += 1 }
    }
}
