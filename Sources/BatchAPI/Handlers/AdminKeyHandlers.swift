import BatchCodecs
import BatchDocuments
import BatchModel
import BatchStore

/// `/v1/admin/tenants/{tenant_id}/keys`: list, create (the secret is shown once)
/// and revoke keys.
public enum AdminKeyHandlers {
    public static func list(_ context: RequestContext) throws(APIError) -> HTTPResponse {
        let tenant = try AdminTenantHandlers.find(context)
        let keys = try context.withStore("list_keys") { connection throws(StoreError) in try KeyRecords(connection).list(tenantID: tenant.id) }
        return NativeEnvelope.response(
            message: "Keys retrieved successfully", data: .array(keys.map { AdminDocuments.key($0) }), requestID: context.request.requestID)
    }

    public static func create(_ context: RequestContext) throws(APIError) -> HTTPResponse {
        let tenant = try AdminTenantHandlers.find(context)
        let body = BodyFields(try context.jsonObjectBody(required: false))
        try body.allowOnly(["role", "name"])
        let roleText = try body.string("role") ?? KeyRole.client.rawValue
        guard let role = KeyRole(rawValue: roleText) else { throw .invalidField("role", "must be 'client', 'admin' or 'operator'") }
        // Nobody hands out more than they hold.
        guard try context.caller.role.covers(role) else {
            throw APIError(.forbidden, "Only an operator key may create operator keys", details: ["required_role": "operator"])
        }
        let name = try body.string("name") ?? ""
        if name.unicodeScalars.count > 100 { throw .invalidField("name", "must be at most 100 characters") }
        let (record, secret) = try context.withStore("create_key") { connection throws(StoreError) in
            try KeyRecords(connection).create(tenantID: tenant.id, role: role, name: name)
        }
        return NativeEnvelope.response(
            201, message: "Key created; store it now, it is not shown again", data: AdminDocuments.key(record, secret: secret),
            requestID: context.request.requestID)
    }

    /// DELETE revokes: the record stays for audit, the key stops working within seconds.
    public static func revoke(_ context: RequestContext) throws(APIError) -> HTTPResponse {
        let tenant = try AdminTenantHandlers.find(context)
        let keyID = context.parameter("key_id")
        let record = try context.withStore("revoke_key") { connection throws(StoreError) -> APIKeyRecord? in
            let records = KeyRecords(connection)
            guard let existing = try records.find(id: keyID), existing.tenantID == tenant.id else { return nil }
            return try records.revoke(id: keyID)
        }
        guard let record else { throw .notFound(resourceType: "key", id: keyID) }
        // This worker forgets at once; the others within the key cache's TTL.
        context.resources.keyCache.removeAll()
        return NativeEnvelope.response(message: "Key revoked", data: AdminDocuments.key(record), requestID: context.request.requestID)
    }
}
