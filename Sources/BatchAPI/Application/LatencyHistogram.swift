import Synchronization

/// Request latency as a Prometheus histogram, shared by every worker. Each
/// observation is three relaxed atomic increments (its bucket, the count, the sum):
/// nothing on the request path takes a lock. Buckets are kept per bucket and made
/// cumulative only when exposed.
public final class LatencyHistogram: Sendable {
    /// Upper bounds in seconds (the `le` labels); one more bucket, +Inf, holds the rest.
    public static let bounds: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

    /// One bucket's count: `Atomic` cannot be an array element, a class around it can.
    private final class Counter: Sendable {
        let value = Atomic<Int>(0)
    }

    private let buckets: [Counter] = (0...LatencyHistogram.bounds.count).map { _ in Counter() }
    private let count = Atomic<Int>(0)
    private let sumMicroseconds = Atomic<Int>(0)

    public init() {}

    public func observe(microseconds: Int) {
        let seconds = Double(microseconds) / 1_000_000
        let index = Self.bounds.firstIndex { seconds <= $0 } ?? Self.bounds.count
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
        for (index, bound) in Self.bounds.enumerated() {
            cumulative += buckets[index].value.load(ordering: .relaxed)
            text += "\(name)_bucket{le=\"\(bound)\"} \(min(cumulative, total))\n"
        }
        text += "\(name)_bucket{le=\"+Inf\"} \(total)\n"
        text += "\(name)_sum \(Double(sumMicroseconds.load(ordering: .relaxed)) / 1_000_000)\n"
        text += "\(name)_count \(total)\n"
        return text
    }
}
