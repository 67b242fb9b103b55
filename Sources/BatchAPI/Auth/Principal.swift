public import BatchModel

/// The authenticated caller: which tenant, through which key, with which role.
public struct Principal: Sendable, Equatable {
    public var tenant: Tenant
    public var keyID: String
    public var role: KeyRole

    public init(tenant: Tenant, keyID: String, role: KeyRole) {
        self.tenant = tenant
        self.keyID = keyID
        self.role = role
    }
}
