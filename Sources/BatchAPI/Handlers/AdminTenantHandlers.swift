import BatchCodecs
import BatchDocuments
import BatchModel
import BatchStore

/// `/v1/admin/tenants`: list, create, show and change tenants' limits and quotas.
public enum AdminTenantHandlers {
    public static func list(_ context: RequestContext) throws(APIError) -> HTTPResponse {
        let tenants = try context.withStore("list_tenants") { connection throws(StoreError) in try TenantRecords(connection).list() }
        return NativeEnvelope.response(
            message: "Tenants retrieved successfully", data: .array(tenants.map(AdminDocuments.tenant)), requestID: context.request.requestID)
    }

    public static func create(_ context: RequestContext) throws(APIError) -> HTTPResponse {
        let body = BodyFields(try context.jsonObjectBody())
        try body.allowOnly(["name", "rate_limit", "quota"])
        let name = try body.requiredString("name")
        if let problem = Tenant.nameProblem(name) { throw .invalidField("name", problem) }
        let policy = try rateLimit(from: body, base: .default)
        let quota = try quota(from: body, base: .unlimited)
        let tenant = try context.withStore("create_tenant") { connection throws(StoreError) in
            try TenantRecords(connection).create(name: name, rateLimit: policy, quota: quota)
        }
        return NativeEnvelope.response(
            201, message: "Tenant created successfully", data: AdminDocuments.tenant(tenant), requestID: context.request.requestID)
    }

    public static func show(_ context: RequestContext) throws(APIError) -> HTTPResponse {
        let tenant = try find(context)
        return NativeEnvelope.response(
            message: "Tenant retrieved successfully", data: AdminDocuments.tenant(tenant), requestID: context.request.requestID)
    }

    /// PATCH: only the fields sent change.
    public static func update(_ context: RequestContext) throws(APIError) -> HTTPResponse {
        var tenant = try find(context)
        let body = BodyFields(try context.jsonObjectBody())
        try body.allowOnly(["rate_limit", "quota"])
        tenant.rateLimit = try rateLimit(from: body, base: tenant.rateLimit)
        tenant.quota = try quota(from: body, base: tenant.quota)
        let updated = tenant
        try context.withStore("update_tenant") { connection throws(StoreError) in try TenantRecords(connection).update(updated) }
        return NativeEnvelope.response(
            message: "Tenant updated successfully", data: AdminDocuments.tenant(updated), requestID: context.request.requestID)
    }

    static func find(_ context: RequestContext) throws(APIError) -> Tenant {
        let id = context.parameter("tenant_id")
        try requireScope(context, tenantID: id)
        if ResourceID.problem(with: id) != nil { throw .notFound(resourceType: "tenant", id: id) }
        let tenant = try context.withStore("get_tenant") { connection throws(StoreError) in try TenantRecords(connection).find(id: id) }
        guard let tenant else { throw .notFound(resourceType: "tenant", id: id) }
        return tenant
    }

    /// A tenant's own `admin` acts on its tenant only; an `operator` on any. Checked
    /// before any lookup, so an admin cannot learn which other tenants exist.
    static func requireScope(_ context: RequestContext, tenantID: String) throws(APIError) {
        let caller = try context.caller
        guard caller.role != .operator, tenantID != caller.tenant.id else { return }
        throw APIError(
            .forbidden, "An admin key manages its own tenant only; other tenants need an operator key",
            details: ["required_role": "operator", "tenant_id": .string(caller.tenant.id)])
    }

    static func rateLimit(from body: BodyFields, base: RateLimitPolicy) throws(APIError) -> RateLimitPolicy {
        guard let fields = try body.nested("rate_limit") else { return base }
        try fields.allowOnly(["limit", "window_seconds", "burst", "write_limit"])
        var policy = base
        if let limit = try fields.int("limit", in: 1...100_000_000) { policy.limit = Int(limit) }
        if let window = try fields.int("window_seconds", in: 1...2_678_400) { policy.windowSeconds = Int(window) }
        if let burst = try fields.int("burst", in: 1...100_000_000) { policy.burst = Int(burst) }
        if fields.has("write_limit") { policy.writeLimit = try fields.int("write_limit", in: 1...100_000_000).map { Int($0) } }
        if let problem = policy.problem { throw .invalidField("rate_limit", problem) }
        return policy
    }

    static func quota(from body: BodyFields, base: TenantQuota) throws(APIError) -> TenantQuota {
        guard let fields = try body.nested("quota") else { return base }
        try fields.allowOnly(["max_batches", "max_items", "max_bytes"])
        var quota = base
        if fields.has("max_batches") { quota.maxBatches = try fields.int("max_batches", in: 0...1_000_000_000).map { Int($0) } }
        if fields.has("max_items") { quota.maxItems = try fields.int("max_items", in: 0...1_000_000_000_000).map { Int($0) } }
        if fields.has("max_bytes") { quota.maxBytes = try fields.int("max_bytes", in: 0...Int64.max) }
        return quota
    }
}
