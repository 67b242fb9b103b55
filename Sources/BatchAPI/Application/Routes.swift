/// Every endpoint batchd serves, in one table a reviewer can read top to bottom.
public enum Routes {
    public static let all = Router([
        Route("GET", "/healthz", access: .open, HealthHandlers.healthz),
        Route("GET", "/readyz", access: .open, HealthHandlers.readyz),
        Route("GET", "/metrics", access: .open, OperationsHandlers.metrics),

        Route("GET", "/v1/openapi.yaml", access: .open, OpenAPIHandler.handle),

        Route("GET", "/v1/status", ServiceStatusHandler.handle),
        Route("POST", "/v1/batches", BatchCreateHandler.handle),
        Route("GET", "/v1/batches", BatchListHandler.handle),
        BatchStatusHandler.view.route("/v1/batches/{batch_id}"),
        Route("DELETE", "/v1/batches/{batch_id}", BatchDeleteHandler.handle),
        Route("PUT", "/v1/batches/{batch_id}/state", BatchStateHandler.handle),
        Route("GET", "/v1/batches/{batch_id}/results", BatchResultsHandler.handle),
        Route("GET", "/v1/batches/{batch_id}/results.jsonl", BatchResultsStreamHandler.jsonl),
        Route("GET", "/v1/batches/{batch_id}/results.csv", BatchResultsStreamHandler.csv),
        Route("POST", "/v1/batches/{batch_id}/items", BatchItemsHandler.handle),

        // Check's view (spec 002): the same path as Check's, and under /compat/check.
        CheckBatchHandler.view.route("/v1/batch/{batch_id}"),
        CheckBatchHandler.view.route("/compat/check/v1/batch/{batch_id}"),

        // Talonic's view (spec 004), under /compat because its path is Wickson's.
        TalonicBatchHandler.view.route("/compat/talonic/v1/batches/{batch_id}"),

        Route("GET", "/v1/media", MediaHandlers.list),
        Route("GET", "/v1/media/{media_id}", MediaHandlers.show),

        Route("GET", "/v1/admin/tenants", access: .operator, AdminTenantHandlers.list),
        Route("POST", "/v1/admin/tenants", access: .operator, AdminTenantHandlers.create),
        Route("GET", "/v1/admin/tenants/{tenant_id}", access: .admin, AdminTenantHandlers.show),
        Route("PATCH", "/v1/admin/tenants/{tenant_id}", access: .operator, AdminTenantHandlers.update),
        Route("GET", "/v1/admin/tenants/{tenant_id}/keys", access: .admin, AdminKeyHandlers.list),
        Route("POST", "/v1/admin/tenants/{tenant_id}/keys", access: .admin, AdminKeyHandlers.create),
        Route("DELETE", "/v1/admin/tenants/{tenant_id}/keys/{key_id}", access: .admin, AdminKeyHandlers.revoke),
        Route("GET", "/v1/admin/cache", access: .operator, AdminCacheHandlers.show),
        Route("PUT", "/v1/admin/cache", access: .operator, AdminCacheHandlers.update),
        Route("DELETE", "/v1/admin/cache", access: .admin, AdminCacheHandlers.flush),
        Route("GET", "/v1/admin/diagnostics/sleep", access: .admin, OperationsHandlers.sleep),
    ])
}
