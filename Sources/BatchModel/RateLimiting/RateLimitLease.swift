/// The rules of a rate-limit lease: a slice of a tenant's GCRA budget that one
/// process takes from Redis in one call and spends locally, request by request,
/// until it is used up or its lifetime has passed; what is left then goes back to
/// Redis (refunded). `RateLimitLeases` in BatchAPI keeps them.
///
/// Every cell a process admits was taken from the shared budget first, so leases
/// never admit more than the limit: the bound on over-admission is zero, also when
/// a process dies holding one (its unspent cells are then lost to the tenant until
/// they refill: one slice a process, at most `RateLimitLeaseSizing.maximumCells` and at
/// most a quarter of what the tenant had left). What a lease
/// costs is fairness at the edge: while one process holds unspent cells another may
/// refuse — which is why slices shrink to a single cell as the tenant nears its limit
/// (`RateLimitLeaseSizing`), where every request is then decided in Redis as before.
public enum RateLimitLease {
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
    /// 256: a busy tenant's process asks Redis about once every 128 requests (it takes
    /// the next slice at half), so the script's cost is under a microsecond a request.
    public static let maximumCells = 256

    public static func cells(recentRequests: Int, lastRemaining: Int?) -> Int {
        let wanted = min(maximumCells, max(1, 2 * recentRequests))
        guard let lastRemaining else { return 1 }
        return max(1, min(wanted, lastRemaining / 4))
    }
}
