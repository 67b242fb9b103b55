public import BatchCodecs
public import BatchModel

/// How tenants and keys look in admin responses.
public enum AdminDocuments {
    public static func tenant(_ tenant: Tenant) -> JSONValue {
        [
            "tenant_id": .string(tenant.id),
            "name": .string(tenant.name),
            "created_at": .string(tenant.createdAt.iso8601),
            "rate_limit": [
                "limit": .integer(tenant.rateLimit.limit),
                "window_seconds": .integer(tenant.rateLimit.windowSeconds),
                "burst": .integer(tenant.rateLimit.burst),
                "write_limit": tenant.rateLimit.writeLimit.map { .integer($0) } ?? .null,
            ],
            "quota": [
                "max_batches": tenant.quota.maxBatches.map { .integer($0) } ?? .null,
                "max_items": tenant.quota.maxItems.map { .integer($0) } ?? .null,
                "max_bytes": tenant.quota.maxBytes.map { .int($0) } ?? .null,
            ],
        ]
    }

    /// A key's record; the secret appears only in the create answer, via `secret`.
    public static func key(_ key: APIKeyRecord, secret: APIKeySecret? = nil) -> JSONValue {
        var object: JSONObject = [
            "key_id": .string(key.id),
            "tenant_id": .string(key.tenantID),
            "role": .string(key.role.rawValue),
            "name": .string(key.name),
            "prefix": .string(key.prefix),
            "created_at": .string(key.createdAt.iso8601),
            "revoked_at": .optional(key.revokedAt?.iso8601),
        ]
        if let secret { object["key"] = .string(secret.value) }
        return .object(object)
    }
}
