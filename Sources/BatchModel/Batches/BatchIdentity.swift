/// A batch with the tenant that owns it: what a cache invalidation needs, since
/// every Redis key of a tenant carries the tenant as its hash tag.
public struct BatchIdentity: Sendable, Hashable {
    public var tenantID: String
    public var batchID: String

    public init(tenantID: String, batchID: String) {
        self.tenantID = tenantID
        self.batchID = batchID
    }
}
