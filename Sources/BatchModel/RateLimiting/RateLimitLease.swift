/// A slice of a tenant's GCRA budget that one process took from Redis in one call
/// and spends locally, request by request, until it is used up or `lifetime` has
/// passed; what is left then goes back to Redis (`unspent`, refunded).
///
/// Every cell a process admits was taken from the shared budget first, so leases
/// never admit more than the limit: the bound on over-admission is zero, also when
/// a process dies holding one (its unspent cells are then lost to the tenant until
/// they refill: at most `RateLimitLeaseSizing.maximumCells` a process). What a lease
/// costs is fairness at the edge: while one process holds unspent cells another may
/// refuse — which is why slices shrink to a single cell as the tenant nears its limit
/// (`RateLimitLeaseSizing`), where every request is then decided in Redis as before.
public struct RateLimitLease: Sendable, Equatable {
    /// Cells taken from Redis.
    public let cells: Int
    public private(set) var spent: Int = 0
    /// Redis's `remaining` right after the cells were taken.
    public let remainingAfterTake: Int
    /// Redis's reset (ms until the full burst is back) right after the take.
    public let resetAfterMilliseconds: Double
    /// The budget's interval: what each unspent cell adds to the reset time.
    public let intervalMilliseconds: Double
    /// Monotonic milliseconds.
    public let takenAt: Int64
    public let expiresAt: Int64

    public init(
        cells: Int, remainingAfterTake: Int, resetAfterMilliseconds: Double, intervalMilliseconds: Double, takenAt: Int64, lifetimeMilliseconds: Int64
    ) {
        self.cells = cells
        self.remainingAfterTake = remainingAfterTake
        self.resetAfterMilliseconds = resetAfterMilliseconds
        self.intervalMilliseconds = intervalMilliseconds
        self.takenAt = takenAt
        self.expiresAt = takenAt + lifetimeMilliseconds
    }

    public var unspent: Int { cells - spent }

    /// Spends one cell at `now` (monotonic ms): the decision to answer with, or nil
    /// when the lease is used up or expired. The first cell was the taking request's.
    public mutating func spend(now: Int64) -> GCRA.Decision? {
        guard spent < cells, now < expiresAt else { return nil }
        spent += 1
        return Self.asSpent(
            remaining: remainingAfterTake, resetAfterMilliseconds: resetAfterMilliseconds - Double(now - takenAt), unspent: cells - spent,
            intervalMilliseconds: intervalMilliseconds)
    }

    /// The figures a request answers with when `unspent` cells are still held here:
    /// those cells count as remaining, and not towards the reset, as if never taken
    /// (so the headers read as they would with one cell taken a request).
    public static func asSpent(remaining: Int, resetAfterMilliseconds: Double, unspent: Int, intervalMilliseconds: Double) -> GCRA.Decision {
        GCRA.Decision(
            allowed: true, newTAT: 0, remaining: remaining + unspent, retryAfterMilliseconds: 0,
            resetAfterMilliseconds: max(0, resetAfterMilliseconds - Double(unspent) * intervalMilliseconds))
    }
}

/// How many cells the next take asks for: enough for the requests the tenant made
/// here during the last lease lifetime (twice that, so a steady tenant needs about
/// one Redis call a lifetime), at most `maximumCells`, and never more than a quarter
/// of what Redis last said was remaining: near the limit a take is one cell, and
/// every request is decided in Redis.
public enum RateLimitLeaseSizing {
    public static let maximumCells = 64

    public static func cells(recentRequests: Int, lastRemaining: Int?) -> Int {
        let wanted = min(maximumCells, max(1, 2 * recentRequests))
        guard let lastRemaining else { return 1 }
        return max(1, min(wanted, lastRemaining / 4))
    }
}
