/// Every endpoint batchd serves, in one table a reviewer can read top to bottom.
public enum Routes {
    public static let all = Router([
        Route("GET", "/healthz", access: .open, HealthHandlers.healthz),
        Route("GET", "/readyz", access: .open, HealthHandlers.readyz),
        Route("GET", "/metrics", access: .open, OperationsHandlers.metrics),

        Route("GET", "/v1/status", ServiceStatusHandler.handle),
        Route("GET", "/v1/batches/{batch_id}", BatchStatusHandler.handle),

        Route("GET", "/v1/admin/tenants", access: .admin, AdminTenantHandlers.list),
        Route("POST", "/v1/admin/tenants", access: .admin, AdminTenantHandlers.create),
        Route("GET", "/v1/admin/tenants/{tenant_id}", access: .admin, AdminTenantHandlers.show),
        Route("PATCH", "/v1/admin/tenants/{tenant_id}", access: .admin, AdminTenantHandlers.update),
        Route("GET", "/v1/admin/tenants/{tenant_id}/keys", access: .admin, AdminKeyHandlers.list),
        Route("POST", "/v1/admin/tenants/{tenant_id}/keys", access: .admin, AdminKeyHandlers.create),
        Route("DELETE", "/v1/admin/tenants/{tenant_id}/keys/{key_id}", access: .admin, AdminKeyHandlers.revoke),
        Route("GET", "/v1/admin/diagnostics/sleep", access: .admin, OperationsHandlers.sleep),
    ])
}
