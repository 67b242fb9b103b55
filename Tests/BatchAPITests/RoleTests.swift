import BatchModel
import BatchStore
import Testing

@testable import BatchAPI

/// A tenant's own admin manages its own tenant (keys, limits read-only, cache
/// flushes); only an operator acts on every tenant and on server settings.
@Suite struct RoleTests {
    @Test func aTenantAdminStaysInItsTenant() throws {
        let f = try ApplicationFixture()
        let other = try TenantRecords(f.connection).create(name: "other")
        let tenantAdmin = try KeyRecords(f.connection).create(tenantID: f.tenant.id, role: .admin).1.value
        // Its own tenant: limits (read-only), keys.
        #expect(f.send("GET", "/v1/admin/tenants/\(f.tenant.id)", key: tenantAdmin).0.status == 200)
        #expect(f.send("GET", "/v1/admin/tenants/\(f.tenant.id)/keys", key: tenantAdmin).0.status == 200)
        let (created, _) = f.send("POST", "/v1/admin/tenants/\(f.tenant.id)/keys", key: tenantAdmin, body: #"{"role":"client"}"#)
        #expect(created.status == 201)
        // Not more than it holds, not another tenant, not the server's settings.
        let (escalation, escalationBody) = f.send("POST", "/v1/admin/tenants/\(f.tenant.id)/keys", key: tenantAdmin, body: #"{"role":"operator"}"#)
        #expect(escalation.status == 403)
        #expect(escalationBody["details"]?["required_role"] == "operator")
        for (method, path, body) in [
            ("GET", "/v1/admin/tenants/\(other.id)", ""), ("GET", "/v1/admin/tenants/\(other.id)/keys", ""),
            ("POST", "/v1/admin/tenants/\(other.id)/keys", #"{"role":"client"}"#), ("GET", "/v1/admin/tenants/ten-doesnotexist", ""),
            ("GET", "/v1/admin/tenants", ""), ("POST", "/v1/admin/tenants", #"{"name":"x"}"#),
            ("PATCH", "/v1/admin/tenants/\(f.tenant.id)", #"{"rate_limit":{"limit":5}}"#), ("GET", "/v1/admin/cache", ""),
            ("PUT", "/v1/admin/cache", #"{"ttl_seconds":5}"#), ("DELETE", "/v1/admin/cache?tenant=\(other.id)", ""),
        ] {
            let parts = path.split(separator: "?", maxSplits: 1).map(String.init)
            let (response, document) = f.send(method, parts[0], key: tenantAdmin, query: parts.count > 1 ? parts[1] : "", body: body)
            #expect(response.status == 403, "\(method) \(path): \(document)")
            #expect(document["code"] == "forbidden")
        }
        // Client keys reach no admin endpoint at all.
        #expect(f.send("GET", "/v1/admin/tenants/\(f.tenant.id)", key: f.clientKey).0.status == 403)
    }

    @Test func anOperatorActsOnEveryTenant() throws {
        let f = try ApplicationFixture()
        let other = try TenantRecords(f.connection).create(name: "other")
        #expect(f.send("GET", "/v1/admin/tenants", key: f.adminKey).0.status == 200)
        #expect(f.send("GET", "/v1/admin/tenants/\(other.id)/keys", key: f.adminKey).0.status == 200)
        let (created, body) = f.send("POST", "/v1/admin/tenants/\(other.id)/keys", key: f.adminKey, body: #"{"role":"operator"}"#)
        #expect(created.status == 201)
        #expect(body["data"]?["role"] == "operator")
        #expect(f.send("GET", "/v1/admin/cache", key: f.adminKey).0.status == 200)
    }

    @Test func rolesCoverWhatTheyShould() {
        #expect(KeyRole.operator.covers(.admin) && KeyRole.operator.covers(.client) && KeyRole.operator.covers(.operator))
        #expect(KeyRole.admin.covers(.client) && KeyRole.admin.covers(.admin) && !KeyRole.admin.covers(.operator))
        #expect(KeyRole.client.covers(.client) && !KeyRole.client.covers(.admin) && !KeyRole.client.covers(.operator))
    }
}
