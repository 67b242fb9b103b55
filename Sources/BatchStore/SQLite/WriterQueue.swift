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
    }

    private let state = Mutex(State())
    /// How long a write may wait for its turn before it is `.busy` after all.
    public let timeoutMilliseconds: Int

    public init(timeoutMilliseconds: Int = 30_000) { self.timeoutMilliseconds = timeoutMilliseconds }

    /// Waits for the writer's turn; false when `timeoutMilliseconds` passed first.
    public func acquire() -> Bool {
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
        let next: DispatchSemaphore? = state.withLock { state in
            guard !state.waiting.isEmpty else {
                state.busy = false
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?.signal()
    }
}
