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
