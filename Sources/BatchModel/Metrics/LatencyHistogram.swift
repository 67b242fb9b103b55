import Synchronization

/// A latency as a Prometheus histogram (requests, claims), shared by every
/// thread that observes it. Each
/// observation is three relaxed atomic increments (its bucket, the count, the sum):
/// nothing on the request path takes a lock. Buckets are kept per bucket and made
/// cumulative only when exposed.
public final class LatencyHistogram: Sendable {
    /// Request latencies' upper bounds in seconds (the `le` labels).
    public static let requestBounds: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]
    /// Claims' (a transaction or a few): finer below 10 ms.
    public static let claimBounds: [Double] = [0.00025, 0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.02, 0.05, 0.1, 0.25, 1]

    /// Upper bounds in seconds, ascending; one more bucket, +Inf, holds the rest.
    public let bounds: [Double]

    /// One bucket's count: `Atomic` cannot be an array element, a class around it can.
    private final class Counter: Sendable {
        let value = Atomic<Int>(0)
    }

    private let buckets: [Counter]
    private let count = Atomic<Int>(0)
    private let sumMicroseconds = Atomic<Int>(0)

    public init(bounds: [Double] = LatencyHistogram.requestBounds) {
        self.bounds = bounds
        buckets = (0...bounds.count).map { _ in Counter() }
    }

    public func observe(microseconds: Int) {
        let seconds = Double(microseconds) / 1_000_000
        let index = bounds.firstIndex { seconds <= $0 } ?? bounds.count
        buckets[index].value.add(1, ordering: .relaxed)
        count.add(1, ordering: .relaxed)
        sumMicroseconds.add(microseconds, ordering: .relaxed)
    }

    public var totalMicroseconds: Int { sumMicroseconds.load(ordering: .relaxed) }

    /// `name_bucket{le=…}` (cumulative), `name_sum` and `name_count`, with HELP and TYPE.
    /// Read without a lock, so under load `_count` may run a few ahead of the buckets
    /// read just before it; the +Inf bucket is the count, as the format requires.
    public func prometheusText(name: String, help: String) -> String {
        var text = "# HELP \(name) \(help)\n# TYPE \(name) histogram\n"
        let total = count.load(ordering: .relaxed)
        var cumulative = 0
        for (index, bound) in bounds.enumerated() {
            cumulative += buckets[index].value.load(ordering: .relaxed)
            text += "\(name)_bucket{le=\"\(bound)\"} \(min(cumulative, total))\n"
        }
        text += "\(name)_bucket{le=\"+Inf\"} \(total)\n"
        text += "\(name)_sum \(Double(sumMicroseconds.load(ordering: .relaxed)) / 1_000_000)\n"
        text += "\(name)_count \(total)\n"
        return text
    }
}
