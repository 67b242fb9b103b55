public import BatchModel

/// Tenants in SQLite: create, list, read, change limits.
public struct TenantRecords {
    let connection: any StoreConnection

    public init(_ connection: any StoreConnection) { self.connection = connection }

    private static let columns = "id, name, created_at, rate_limit, rate_window, rate_burst, write_rate_limit, max_batches, max_items, max_bytes"

    /// Creates a tenant. A name already in use is `.conflict`.
    public func create(
        name: String, rateLimit: RateLimitPolicy = .default, quota: TenantQuota = .unlimited, now: Timestamp = .now()
    ) throws(StoreError) -> Tenant {
        let tenant = Tenant(id: ResourceID.make(.tenant), name: name, createdAt: now, rateLimit: rateLimit, quota: quota)
        do {
            try connection.transaction {
                () throws(StoreError) in
                try connection.statement("INSERT INTO tenants (\(Self.columns)) VALUES (?,?,?,?,?,?,?,?,?,?)")
                    .bind(Self.values(of: tenant)).run()
            }
        } catch .conflict {
            throw .conflict("a tenant named '\(name)' already exists")
        }
        return tenant
    }

    public func list() throws(StoreError) -> [Tenant] {
        try connection.statement("SELECT \(Self.columns) FROM tenants WHERE id != ? ORDER BY created_at, id").bind(.text(StagingTenant.id)).rows(
            Self.read)
    }

    public func find(id: String) throws(StoreError) -> Tenant? {
        guard id != StagingTenant.id else { return nil }
        return try connection.statement("SELECT \(Self.columns) FROM tenants WHERE id = ?").bind(.text(id)).firstRow(Self.read)
    }

    /// The tenant with this id or this name: what admins type on the command line.
    public func find(idOrName: String) throws(StoreError) -> Tenant? {
        try connection.statement("SELECT \(Self.columns) FROM tenants WHERE (id = ?1 OR name = ?1) AND id != ?2 LIMIT 1")
            .bind(.text(idOrName), .text(StagingTenant.id)).firstRow(Self.read)
    }

    /// Replaces a tenant's rate limit and quota.
    public func update(_ tenant: Tenant) throws(StoreError) {
        try connection.transaction {
            () throws(StoreError) in
            try connection.statement(
                "UPDATE tenants SET rate_limit = ?, rate_window = ?, rate_burst = ?, write_rate_limit = ?, max_batches = ?, max_items = ?, max_bytes = ? WHERE id = ?"
            ).bind(
                .int(tenant.rateLimit.limit), .int(tenant.rateLimit.windowSeconds), .int(tenant.rateLimit.burst),
                .optionalInt(tenant.rateLimit.writeLimit), .optionalInt(tenant.quota.maxBatches),
                .optionalInt(tenant.quota.maxItems), .optionalInt(tenant.quota.maxBytes), .text(tenant.id)
            ).run()
            if connection.changes == 0 { throw .notFound("tenant \(tenant.id)") }
        }
    }

    static func values(of tenant: Tenant) -> [SQLiteValue] {
        [
            .text(tenant.id), .text(tenant.name), .integer(tenant.createdAt.milliseconds),
            .int(tenant.rateLimit.limit), .int(tenant.rateLimit.windowSeconds), .int(tenant.rateLimit.burst),
            .optionalInt(tenant.rateLimit.writeLimit), .optionalInt(tenant.quota.maxBatches),
            .optionalInt(tenant.quota.maxItems), .optionalInt(tenant.quota.maxBytes),
        ]
    }

    /// Reads the columns of `columns` starting at `offset`.
    static func read(_ row: any StoreRow, from offset: Int32) -> Tenant {
        Tenant(
            id: row.text(offset), name: row.text(offset + 1), createdAt: Timestamp(milliseconds: row.int(offset + 2)),
            rateLimit: RateLimitPolicy(
                limit: Int(row.int(offset + 3)), windowSeconds: Int(row.int(offset + 4)), burst: Int(row.int(offset + 5)),
                writeLimit: row.optionalInt(offset + 6).map { Int($0) }),
            quota: TenantQuota(
                maxBatches: row.optionalInt(offset + 7).map { Int($0) }, maxItems: row.optionalInt(offset + 8).map { Int($0) },
                maxBytes: row.optionalInt(offset + 9))
        )
    }

    static func read(_ row: any StoreRow) -> Tenant { read(row, from: 0) }

    /// `columns` qualified with the alias `t`, for joins.
    static let prefixedColumns = columns.split(separator: ",").map { "t." + $0.filter { $0 != " " } }.joined(separator: ", ")
}
