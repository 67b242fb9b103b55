import BatchModel
import Synchronization

/// Process-wide request counters for `/metrics`, shared by every worker.
/// Atomics, not a lock: each request adds two relaxed increments and never waits.
public final class RequestMetrics: Sendable {
    private let informational = Atomic<Int>(0)
    private let success = Atomic<Int>(0)
    private let redirection = Atomic<Int>(0)
    private let clientError = Atomic<Int>(0)
    private let serverError = Atomic<Int>(0)
    private let durationMicroseconds = Atomic<Int>(0)
    public let startedAt: Timestamp

    public init(startedAt: Timestamp = .now()) { self.startedAt = startedAt }

    public func record(status: Int, microseconds: Int) {
        withCounter(statusClass: status / 100) { $0.add(1, ordering: .relaxed) }
        durationMicroseconds.add(microseconds, ordering: .relaxed)
    }

    /// Answers so far whose status was `statusClass`xx.
    public func count(statusClass: Int) -> Int { withCounter(statusClass: statusClass) { $0.load(ordering: .relaxed) } }

    public var totalMicroseconds: Int { durationMicroseconds.load(ordering: .relaxed) }

    private func withCounter<R>(statusClass: Int, _ body: (borrowing Atomic<Int>) -> R) -> R {
        switch statusClass {
        case ...1: return body(informational)
        case 2: return body(success)
        case 3: return body(redirection)
        case 4: return body(clientError)
        default: return body(serverError)
        }
    }

    /// The Prometheus text exposition of these counters.
    public func prometheusText(now: Timestamp = .now()) -> String {
        var text = "# HELP batchd_requests_total Requests answered by batchd, by status class.\n# TYPE batchd_requests_total counter\n"
        for statusClass in 1...5 {
            text += "batchd_requests_total{class=\"\(statusClass)xx\"} \(count(statusClass: statusClass))\n"
        }
        text += "# HELP batchd_request_duration_seconds_sum Time spent answering requests.\n# TYPE batchd_request_duration_seconds_sum counter\n"
        text += "batchd_request_duration_seconds_sum \(Double(totalMicroseconds) / 1_000_000)\n"
        text += "# HELP batchd_uptime_seconds Seconds since batchd started.\n# TYPE batchd_uptime_seconds gauge\n"
        text += "batchd_uptime_seconds \(Double(now.milliseconds - startedAt.milliseconds) / 1000)\n"
        text += "# HELP batchd_info Version of this batchd.\n# TYPE batchd_info gauge\n"
        text += "batchd_info{version=\"\(ServiceInfo.version)\",api_version=\"\(ServiceInfo.apiVersion)\"} 1\n"
        return text
    }
}
