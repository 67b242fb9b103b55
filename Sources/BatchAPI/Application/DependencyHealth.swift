public import Logging
import Synchronization

/// Whether batchd's dependencies work, as its workers find out, process-wide:
/// each change is logged once at `warning` (down) or `notice` (back), however
/// many workers notice it, and counted for `/metrics`.
public final class DependencyHealth: Sendable {
    public enum Dependency: String, Sendable, CaseIterable {
        case redis, sqlite
    }

    private final class State: Sendable {
        let up = Atomic<Bool>(true)
        let downs = Atomic<Int>(0)
    }

    private let redis = State()
    private let sqlite = State()
    private let logger: Logger

    public init(logger: Logger = Logger(label: "batchd.dependencies")) { self.logger = logger }

    private func state(_ dependency: Dependency) -> State {
        switch dependency {
        case .redis: return redis
        case .sqlite: return sqlite
        }
    }

    /// What a worker just saw. Only the first report of a change logs and counts.
    public func record(_ dependency: Dependency, up isUp: Bool, reason: String = "") {
        let state = state(dependency)
        // A load first: the common case (no change) writes nothing shared.
        guard state.up.load(ordering: .relaxed) != isUp,
            state.up.compareExchange(expected: !isUp, desired: isUp, ordering: .relaxed).exchanged
        else { return }
        if isUp {
            logger.notice("dependency is back", metadata: ["dependency": "\(dependency.rawValue)"])
        } else {
            state.downs.add(1, ordering: .relaxed)
            logger.warning("dependency is down", metadata: ["dependency": "\(dependency.rawValue)", "reason": "\(reason)"])
        }
    }

    public func isUp(_ dependency: Dependency) -> Bool { state(dependency).up.load(ordering: .relaxed) }

    /// Times `dependency` went down since start.
    public func downCount(_ dependency: Dependency) -> Int { state(dependency).downs.load(ordering: .relaxed) }

    /// `batchd_dependency_up` and `batchd_dependency_down_total`, in Prometheus text.
    var prometheusText: String {
        var text = "# HELP batchd_dependency_up Whether a dependency worked when last used (1) or not (0).\n# TYPE batchd_dependency_up gauge\n"
        for dependency in Dependency.allCases { text += "batchd_dependency_up{dependency=\"\(dependency.rawValue)\"} \(isUp(dependency) ? 1 : 0)\n" }
        text += "# HELP batchd_dependency_down_total Times a dependency stopped working since start.\n# TYPE batchd_dependency_down_total counter\n"
        for dependency in Dependency.allCases {
            text += "batchd_dependency_down_total{dependency=\"\(dependency.rawValue)\"} \(downCount(dependency))\n"
        }
        return text
    }
}
