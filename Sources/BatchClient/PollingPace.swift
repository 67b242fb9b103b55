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

/// Items per second over a sliding window of observations, for the progress line.
public struct RateWindow: Sendable {
    private var samples: [(seconds: Double, finished: Int)] = []
    public let span: Double

    public init(span: Double = 30) { self.span = span }

    public mutating func observe(finished: Int, at seconds: Double) {
        samples.append((seconds, finished))
        while let first = samples.first, seconds - first.seconds > span, samples.count > 2 { samples.removeFirst() }
    }

    /// Nil until two observations at least a second apart exist.
    public var perSecond: Double? {
        guard let first = samples.first, let last = samples.last, last.seconds - first.seconds >= 1 else { return nil }
        return Double(last.finished - first.finished) / (last.seconds - first.seconds)
    }
}
