import BatchCodecs
import BatchModel
import BatchStore

/// Turns the credentials of a request into a `Principal`.
///
/// Accepts `X-Api-Key: KEY` or `Authorization: Bearer KEY`. Keys are looked up by
/// their SHA-256, through the worker's `KeyCache`.
public enum KeyAuthenticator {
    /// The key the request presents, if any.
    public static func presentedKey(in request: HTTPRequest) -> String? {
        if let key = request.header("x-api-key")?.trimmed, !key.isEmpty { return key }
        if let authorization = request.header("authorization") {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" {
                let key = String(parts[1]).trimmed
                if !key.isEmpty { return key }
            }
        }
        return nil
    }

    /// The caller, or 401 for a missing, unknown or revoked key.
    public static func authenticate(_ context: RequestContext) throws(APIError) -> Principal {
        guard let key = presentedKey(in: context.request) else {
            throw APIError(.unauthorized, "Missing API key: send X-Api-Key or Authorization: Bearer", details: ["error": "missing_api_key"])
        }
        // Keys longer than any batchd mints are refused without hashing (or caching) megabytes.
        let presented = key.utf8.count <= 256 ? key : ""
        let principal: Principal?
        if let cached = context.resources.keyCache.lookup(key: presented) {
            principal = cached
        } else {
            // Only a cache miss pays for the hash: the database stores nothing else.
            let hash = presented.isEmpty ? "" : APIKeySecret.hash(presented)
            principal = try context.withStore("authenticate") { connection throws(StoreError) in
                try KeyRecords(connection).authenticate(hash: hash).map { key, tenant in
                    Principal(tenant: tenant, keyID: key.id, role: key.role)
                }
            }
            context.resources.keyCache.store(key: presented, principal: principal)
        }
        guard let principal else {
            throw APIError(.unauthorized, "Invalid or revoked API key", details: ["error": "invalid_api_key"])
        }
        return principal
    }
}
