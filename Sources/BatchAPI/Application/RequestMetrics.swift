public import BatchModel
import Synchronization

/// Process-wide request counters for `/metrics`, shared by every worker.
/// Atomics, not a lock: each request adds a few relaxed increments and never waits.
public final class RequestMetrics: Sendable {
    private let informational = Atomic<Int>(0)
    private let success = Atomic<Int>(0)
    private let redirection = Atomic<Int>(0)
    private let clientError = Atomic<Int>(0)
    private let serverError = Atomic<Int>(0)
    private let durations = LatencyHistogram()
    /// How long this process's scheduler took to claim items (observed by `Scheduler`).
    public let claims = LatencyHistogram(bounds: LatencyHistogram.claimBounds)
    private let statusBuilds = Atomic<Int>(0)
    private let cacheHits = Atomic<Int>(0)
    private let cacheMisses = Atomic<Int>(0)
    private let cacheBypasses = Atomic<Int>(0)
    public let startedAt: Timestamp
    /// Redis and SQLite as the workers find them (logged once per change).
    public let dependencies = DependencyHealth()

    public init(startedAt: Timestamp = .now()) { self.startedAt = startedAt }

    public func record(status: Int, microseconds: Int) {
        _ = withCounter(statusClass: status / 100) { $0.add(1, ordering: .relaxed) }
        durations.observe(microseconds: microseconds)
    }

    /// A status document was built from SQLite (a cache miss or bypass).
    public func recordStatusBuild() { statusBuilds.add(1, ordering: .relaxed) }

    public func recordCache(_ outcome: StatusDocumentCache.Outcome) {
        switch outcome {
        case .hit: cacheHits.add(1, ordering: .relaxed)
        case .miss: cacheMisses.add(1, ordering: .relaxed)
        case .bypass: cacheBypasses.add(1, ordering: .relaxed)
        }
    }

    public var statusBuildCount: Int { statusBuilds.load(ordering: .relaxed) }
    /// Cache hits and misses of this process so far (added to Redis's figures once a second).
    public var cacheLookups: (hits: Int, misses: Int) { (cacheHits.load(ordering: .relaxed), cacheMisses.load(ordering: .relaxed)) }

    /// Answers so far whose status was `statusClass`xx.
    public func count(statusClass: Int) -> Int { withCounter(statusClass: statusClass) { $0.load(ordering: .relaxed) } }

    public var totalMicroseconds: Int { durations.totalMicroseconds }

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
        text += durations.prometheusText(name: "batchd_request_duration_seconds", help: "Time batchd spent answering a request.")
        text += claims.prometheusText(
            name: "batchd_claim_duration_seconds", help: "Time this process's scheduler took to claim items, for claims that got some.")
        text +=
            "# HELP batchd_status_cache_total Status documents answered, by cache outcome (this process).\n# TYPE batchd_status_cache_total counter\n"
        text += "batchd_status_cache_total{outcome=\"hit\"} \(cacheHits.load(ordering: .relaxed))\n"
        text += "batchd_status_cache_total{outcome=\"miss\"} \(cacheMisses.load(ordering: .relaxed))\n"
        text += "batchd_status_cache_total{outcome=\"bypass\"} \(cacheBypasses.load(ordering: .relaxed))\n"
        text += "# HELP batchd_status_builds_total Status documents built from SQLite (this process).\n# TYPE batchd_status_builds_total counter\n"
        text += "batchd_status_builds_total \(statusBuildCount)\n"
        text += "# HELP batchd_uptime_seconds Seconds since batchd started.\n# TYPE batchd_uptime_seconds gauge\n"
        text += "batchd_uptime_seconds \(Double(now.milliseconds - startedAt.milliseconds) / 1000)\n"
        text += dependencies.prometheusText
        text += "# HELP batchd_info Version of this batchd.\n# TYPE batchd_info gauge\n"
        text += "batchd_info{version=\"\(ServiceInfo.version)\",api_version=\"\(ServiceInfo.apiVersion)\"} 1\n"
        return text
    }
}
