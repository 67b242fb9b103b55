import Synchronization

/// How many requests each tenant, and each key, may have in batchd at once
/// (shared by every worker of the process). A tenant at its budget gets a 429
/// at once instead of a worker, so it cannot hold more than its share of them
/// however slow its requests are.
///
/// Each tenant and key has a counter of its own, made on first use and kept;
/// workers keep the counters of the keys they serve (`WorkerResources.budgetSlots`),
/// so a request takes and gives back its slot with atomic adds and no lock (one lock
/// shared by every worker was contended by every request).
public final class ConcurrencyBudget: Sendable {
    public let perTenant: Int
    public let perKey: Int
    private let counters = Mutex<[String: Counter]>([:])

    /// Requests in flight for one tenant or one key.
    public final class Counter: Sendable {
        let inFlight = Atomic<Int>(0)

        /// Takes a slot unless `limit` are taken.
        func take(limit: Int) -> Bool {
            if inFlight.wrappingAdd(1, ordering: .acquiringAndReleasing).newValue <= limit { return true }
            inFlight.wrappingSubtract(1, ordering: .acquiringAndReleasing)
            return false
        }

        func giveBack() { inFlight.wrappingSubtract(1, ordering: .acquiringAndReleasing) }
    }

    /// The two counters a request of a tenant made with a key draws on.
    public struct Slots: Sendable {
        let tenant: Counter
        let key: Counter
    }

    public init(perTenant: Int, perKey: Int) {
        self.perTenant = perTenant
        self.perKey = perKey
    }

    /// What holds the request back, when something does.
    public enum Refusal: Equatable, Sendable {
        case tenant(limit: Int)
        case key(limit: Int)
    }

    /// The counters of `tenant` and `key` (one lock: workers keep what this returns).
    public func slots(tenant: String, key: String) -> Slots {
        counters.withLock { counters in
            func counter(_ name: String) -> Counter {
                if let found = counters[name] { return found }
                let made = Counter()
                counters[name] = made
                return made
            }
            return Slots(tenant: counter("t:" + tenant), key: counter("k:" + key))
        }
    }

    /// Takes a slot for a request, or says which budget is spent (taking nothing).
    public func acquire(_ slots: Slots) -> Refusal? {
        guard slots.tenant.take(limit: perTenant) else { return .tenant(limit: perTenant) }
        guard slots.key.take(limit: perKey) else {
            slots.tenant.giveBack()
            return .key(limit: perKey)
        }
        return nil
    }

    /// Gives back the slot `acquire` took.
    public func release(_ slots: Slots) {
        slots.key.giveBack()
        slots.tenant.giveBack()
    }

    /// Takes a slot for a request of `tenant` made with `key`, or says which budget is spent.
    public func acquire(tenant: String, key: String) -> Refusal? { acquire(slots(tenant: tenant, key: key)) }

    /// Gives back the slot `acquire(tenant:key:)` took.
    public func release(tenant: String, key: String) { release(slots(tenant: tenant, key: key)) }

    /// Requests in batchd now for `tenant`.
    public func inFlight(tenant: String) -> Int {
        counters.withLock { $0["t:" + tenant] }?.inFlight.load(ordering: .acquiring) ?? 0
    }
}
