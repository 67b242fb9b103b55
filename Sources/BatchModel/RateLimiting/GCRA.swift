/// The generic cell rate algorithm: one number per tenant (the theoretical
/// arrival time, TAT) decides every request. `limit` requests per `window`
/// refill at one per `interval`; `burst` of them may arrive at once.
///
/// This is the arithmetic of the Lua script batchd runs in Redis
/// (`RateLimitScript`) and of the in-process fallback (`LocalRateLimiter`),
/// kept in one place so both answer the same. Times are milliseconds.
public struct GCRA: Sendable, Equatable {
    public let limit: Int
    public let windowSeconds: Int
    public let burst: Int

    public init(limit: Int, windowSeconds: Int, burst: Int) {
        self.limit = max(1, limit)
        self.windowSeconds = max(1, windowSeconds)
        self.burst = max(1, min(burst, self.limit))
    }

    /// Milliseconds between two requests at the sustained rate.
    public var intervalMilliseconds: Double { Double(windowSeconds) * 1000 / Double(limit) }

    /// How far ahead of now the TAT may run: `burst` intervals.
    public var burstOffsetMilliseconds: Double { intervalMilliseconds * Double(burst) }

    public struct Decision: Sendable, Equatable {
        public var allowed: Bool
        /// The TAT to store when allowed (a refusal stores nothing).
        public var newTAT: Double
        /// Requests that could be made right now after this one.
        public var remaining: Int
        /// Milliseconds until a refused request would be allowed (0 when allowed).
        public var retryAfterMilliseconds: Double
        /// Milliseconds until the full burst is available again.
        public var resetAfterMilliseconds: Double

        public init(allowed: Bool, newTAT: Double, remaining: Int, retryAfterMilliseconds: Double, resetAfterMilliseconds: Double) {
            self.allowed = allowed
            self.newTAT = newTAT
            self.remaining = remaining
            self.retryAfterMilliseconds = retryAfterMilliseconds
            self.resetAfterMilliseconds = resetAfterMilliseconds
        }

        /// `Retry-After` in whole seconds, rounded up: waiting exactly that long is enough.
        public var retryAfterSeconds: Int { Int((retryAfterMilliseconds / 1000).rounded(.up)) }
        public var resetAfterSeconds: Int { Int((resetAfterMilliseconds / 1000).rounded(.up)) }
    }

    /// Decides one request arriving at `now` with the stored `tat` (nil: none stored).
    public func decide(tat stored: Double?, now: Double) -> Decision {
        let tat = max(stored ?? now, now)
        let newTAT = tat + intervalMilliseconds
        let allowAt = newTAT - burstOffsetMilliseconds
        if now < allowAt {
            return Decision(allowed: false, newTAT: tat, remaining: 0, retryAfterMilliseconds: allowAt - now, resetAfterMilliseconds: tat - now)
        }
        let remaining = Int(((now + burstOffsetMilliseconds - newTAT) / intervalMilliseconds).rounded(.down))
        return Decision(allowed: true, newTAT: newTAT, remaining: max(0, remaining), retryAfterMilliseconds: 0, resetAfterMilliseconds: newTAT - now)
    }
}

extension RateLimitPolicy {
    /// The budget every request of the tenant draws on.
    public var requests: GCRA { GCRA(limit: limit, windowSeconds: windowSeconds, burst: burst) }

    /// The extra budget writes also draw on, when the tenant has one.
    public var writes: GCRA? { writeLimit.map { GCRA(limit: $0, windowSeconds: windowSeconds, burst: min(burst, $0)) } }
}
