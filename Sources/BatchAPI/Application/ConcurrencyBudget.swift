import Synchronization

/// How many requests each tenant, and each key, may have in batchd at once
/// (shared by every worker of the process). A tenant at its budget gets a 429
/// at once instead of a worker, so it cannot hold more than its share of them
/// however slow its requests are.
public final class ConcurrencyBudget: Sendable {
    public let perTenant: Int
    public let perKey: Int
    private let inFlight = Mutex<(tenants: [String: Int], keys: [String: Int])>(([:], [:]))

    public init(perTenant: Int, perKey: Int) {
        self.perTenant = perTenant
        self.perKey = perKey
    }

    /// What holds the request back, when something does.
    public enum Refusal: Equatable, Sendable {
        case tenant(limit: Int)
        case key(limit: Int)
    }

    /// Takes a slot for a request of `tenant` made with `key`, or says which budget is spent.
    public func acquire(tenant: String, key: String) -> Refusal? {
        inFlight.withLock { counts in
            let tenantCount = counts.tenants[tenant, default: 0]
            let keyCount = counts.keys[key, default: 0]
            if tenantCount >= perTenant { return .tenant(limit: perTenant) }
            if keyCount >= perKey { return .key(limit: perKey) }
            counts.tenants[tenant] = tenantCount + 1
            counts.keys[key] = keyCount + 1
            return nil
        }
    }

    /// Gives back the slot `acquire` took.
    public func release(tenant: String, key: String) {
        inFlight.withLock { counts in
            counts.tenants[tenant] = counts.tenants[tenant].flatMap { $0 > 1 ? $0 - 1 : nil }
            counts.keys[key] = counts.keys[key].flatMap { $0 > 1 ? $0 - 1 : nil }
        }
    }

    /// Requests in batchd now for `tenant`.
    public func inFlight(tenant: String) -> Int { inFlight.withLock { $0.tenants[tenant, default: 0] } }
}
