/// When `wait` asks again. The server says how long its answer stays as it is
/// (`cache_remaining`); asking sooner would only read the same answer, so the
/// next poll waits that long, never less than `minimum` and never more than
/// `maximum`. A 429 or 503 is handled by `APIClient` (it waits `Retry-After`).
public struct PollingPace: Sendable, Equatable {
    public var minimum: Double
    public var maximum: Double

    public init(minimum: Double = 1, maximum: Double = 30) {
        self.minimum = minimum
        self.maximum = maximum
    }

    /// Seconds until the next poll after an answer with `cacheRemaining`.
    public func delay(cacheRemaining: Int) -> Double { min(maximum, max(minimum, Double(cacheRemaining))) }
}
