public import BatchModel

/// API keys in SQLite. Secrets are never stored: only their SHA-256 and a
/// visible prefix.
public struct KeyRecords {
    let connection: any StoreConnection

    public init(_ connection: any StoreConnection) { self.connection = connection }

    private static let columns = "k.id, k.tenant_id, k.role, k.name, k.prefix, k.created_at, k.revoked_at"

    /// Mints a key for a tenant and returns its record and the secret, which the
    /// caller shows once and then forgets.
    public func create(tenantID: String, role: KeyRole, name: String = "", now: Timestamp = .now()) throws(StoreError) -> (APIKeyRecord, APIKeySecret)
    {
        let secret = APIKeySecret.generate()
        let record = APIKeyRecord(
            id: ResourceID.make(.key), tenantID: tenantID, role: role, name: name, prefix: secret.visiblePrefix,
            createdAt: now, revokedAt: nil)
        try connection.transaction {
            () throws(StoreError) in
            guard try TenantRecords(connection).find(id: tenantID) != nil else { throw .notFound("tenant \(tenantID)") }
            try connection.statement("INSERT INTO api_keys (id, tenant_id, role, name, prefix, hash, created_at) VALUES (?,?,?,?,?,?,?)")
                .bind(
                    .text(record.id), .text(tenantID), .text(role.rawValue), .text(name), .text(record.prefix),
                    .text(secret.hash), .integer(now.milliseconds)
                ).run()
        }
        return (record, secret)
    }

    /// Keys of one tenant, or of all tenants when `tenantID` is nil, oldest first.
    public func list(tenantID: String?) throws(StoreError) -> [APIKeyRecord] {
        if let tenantID {
            return try connection.statement("SELECT \(Self.columns) FROM api_keys k WHERE k.tenant_id = ? ORDER BY k.created_at, k.id")
                .bind(.text(tenantID)).rows(Self.read)
        }
        return try connection.statement("SELECT \(Self.columns) FROM api_keys k ORDER BY k.created_at, k.id").rows(Self.read)
    }

    public func find(id: String) throws(StoreError) -> APIKeyRecord? {
        try connection.statement("SELECT \(Self.columns) FROM api_keys k WHERE k.id = ?").bind(.text(id)).firstRow(Self.read)
    }

    /// Revokes a key; revoking a revoked key keeps its first revocation time.
    public func revoke(id: String, now: Timestamp = .now()) throws(StoreError) -> APIKeyRecord {
        try connection.transaction {
            () throws(StoreError) -> APIKeyRecord in
            try connection.statement("UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?")
                .bind(.integer(now.milliseconds), .text(id)).run()
            guard let record = try find(id: id) else { throw .notFound("key \(id)") }
            return record
        }
    }

    /// The live key with this hash and its tenant, or nil for an unknown or revoked key.
    public func authenticate(hash: String) throws(StoreError) -> (APIKeyRecord, Tenant)? {
        try connection.statement(
            "SELECT \(Self.columns), \(TenantRecords.prefixedColumns) FROM api_keys k JOIN tenants t ON t.id = k.tenant_id WHERE k.hash = ? AND k.revoked_at IS NULL"
        ).bind(.text(hash)).firstRow { row in (Self.read(row), TenantRecords.read(row, from: 7)) }
    }

    static func read(_ row: any StoreRow) -> APIKeyRecord {
        APIKeyRecord(
            id: row.text(0), tenantID: row.text(1), role: KeyRole(rawValue: row.text(2)) ?? .client, name: row.text(3),
            prefix: row.text(4), createdAt: Timestamp(milliseconds: row.int(5)),
            revokedAt: row.optionalInt(6).map(Timestamp.init(milliseconds:)))
    }
}
