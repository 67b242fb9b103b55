import BatchCache
import BatchCodecs
import BatchModel
import BatchStore
import Logging

/// `/v1/admin/cache`: the status-cache TTLs (per document kind and batch state,
/// with per-tenant overrides) and the cache's figures; change them; flush.
public enum AdminCacheHandlers {
    public static func show(_ context: RequestContext) throws(APIError) -> HTTPResponse {
        let tenantID = try tenantParameter(context)
        try context.request.query.requireOnly(["tenant"], repeatsAllowed: true)
        return NativeEnvelope.response(
            message: "Cache settings retrieved successfully", data: try document(context, tenantID: tenantID), requestID: context.request.requestID)
    }

    /// `{"tenant"?: id, "ttl": {kind|all: {state|active|finished|all: seconds}}}` writes
    /// those cells; `{"tenant"?: id, "reset": true}` goes back to the defaults.
    /// The affected entries are flushed, so the new TTLs apply from the next read.
    public static func update(_ context: RequestContext) throws(APIError) -> HTTPResponse {
        let object = try context.jsonObjectBody()
        let body = BodyFields(object)
        try body.allowOnly(["tenant", "ttl", "reset"])
        let tenantID = try body.string("tenant")
        if let tenantID { try requireTenant(context, tenantID) }
        let reset = object["reset"]?.boolValue ?? false
        if object["reset"] != nil, object["reset"]?.boolValue == nil { throw .invalidField("reset", "must be true or false") }
        var changes: CacheSettings.Table?
        if let value = object["ttl"] {
            switch CacheSettings.parseTable(value) {
            case .success(let table): changes = table
            case .failure(let problem): throw .invalidField(problem.field, problem.reason)
            }
        }
        guard reset || changes != nil else { throw .invalidField("ttl", "is required (or send \"reset\": true)") }
        let table = changes
        try context.withStore("update_cache_settings") { connection throws(StoreError) in
            let records = CacheSettingsRecords(connection)
            if reset { try records.reset(tenantID: tenantID) }
            if let table { try records.apply(table, tenantID: tenantID) }
            // This process at once; the others at their refresher's next look.
            context.resources.cacheSettings.refresh(connection)
        }
        let flushed = flush(context, tenantID: tenantID, batchID: nil)
        context.logger.notice(
            "cache settings changed", metadata: ["tenant": "\(tenantID ?? "*")", "flushed": "\(flushed.map(String.init) ?? "redis down")"])
        return NativeEnvelope.response(
            message: "Cache settings updated", data: try document(context, tenantID: tenantID), requestID: context.request.requestID)
    }

    /// `DELETE /v1/admin/cache?tenant=&batch_id=`: flushes one batch, one tenant, or everything.
    public static func flush(_ context: RequestContext) throws(APIError) -> HTTPResponse {
        try context.request.query.requireOnly(["tenant", "batch_id"], repeatsAllowed: true)
        var tenantID = try tenantParameter(context)
        // A tenant's admin flushes its own tenant's entries only.
        if try context.caller.role != .operator { tenantID = try context.caller.tenant.id }
        let batchID = context.request.query["batch_id"]
        if let batchID, let problem = ResourceID.problem(with: batchID) { throw .invalidBatchID(batchID, problem) }
        guard let removed = flush(context, tenantID: tenantID, batchID: batchID) else {
            throw APIError(
                .serviceUnavailable, "Redis is unavailable; nothing is being served from the cache meanwhile", headers: [("Retry-After", "1")])
        }
        var data: JSONObject = ["flushed_entries": .integer(removed)]
        data["tenant"] = .optional(tenantID)
        data["batch_id"] = .optional(batchID)
        return NativeEnvelope.response(message: "Cache flushed", data: .object(data), requestID: context.request.requestID)
    }

    static func flush(_ context: RequestContext, tenantID: String?, batchID: String?) -> Int? {
        guard let redis = context.resources.redis else { return nil }
        return try? context.resources.statusCache.flush(redis, tenantID: tenantID, batchID: batchID)
    }

    static func document(_ context: RequestContext, tenantID: String?) throws(APIError) -> JSONValue {
        let settings = try context.withStore("get_cache_settings") { connection throws(StoreError) in try CacheSettingsRecords(connection).load() }
        var overrides = JSONObject()
        for (tenant, table) in settings.tenantOverrides.sorted(by: { $0.key < $1.key }) where tenantID == nil || tenant == tenantID {
            overrides[tenant] = CacheSettings.json(table)
        }
        var data: JSONObject = [
            "defaults": CacheSettings.json(settings.defaults),
            "tenant_overrides": .object(overrides),
            "max_ttl": .integer(CacheSettings.maximumSeconds),
        ]
        if let tenantID {
            var effective: CacheSettings.Table = [:]
            for kind in CachedDocumentKind.allCases {
                for state in BatchState.allCases { effective[kind, default: [:]][state] = settings.ttl(kind, state: state, tenantID: tenantID) }
            }
            data["tenant"] = .string(tenantID)
            data["effective"] = CacheSettings.json(effective)
        }
        var statistics: JSONObject = ["redis": "down"]
        // Hits and misses are every tenant's (each process adds its own once a second); entries are the tenant's when one is named.
        if let redis = context.resources.redis, let figures = try? context.resources.statusCache.statistics(redis, tenantID: tenantID) {
            let lookups = figures.hits + figures.misses
            statistics = [
                "redis": "up", "hits": .integer(figures.hits), "misses": .integer(figures.misses),
                "hit_ratio": .double(lookups == 0 ? 0 : (Double(figures.hits) / Double(lookups) * 10_000).rounded() / 10_000),
                "entries": .integer(figures.entries), "memory_used_bytes": .integer(figures.memoryBytes),
            ]
        }
        data["statistics"] = .object(statistics)
        return .object(data)
    }

    static func tenantParameter(_ context: RequestContext) throws(APIError) -> String? {
        guard let tenantID = context.request.query["tenant"] else { return nil }
        try AdminTenantHandlers.requireScope(context, tenantID: tenantID)
        try requireTenant(context, tenantID)
        return tenantID
    }

    static func requireTenant(_ context: RequestContext, _ tenantID: String) throws(APIError) {
        if ResourceID.problem(with: tenantID) != nil { throw .notFound(resourceType: "tenant", id: tenantID) }
        let tenant = try context.withStore("get_tenant") { connection throws(StoreError) in try TenantRecords(connection).find(id: tenantID) }
        if tenant == nil { throw .notFound(resourceType: "tenant", id: tenantID) }
    }
}
