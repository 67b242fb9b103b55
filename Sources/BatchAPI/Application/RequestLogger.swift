public import Logging

/// A worker's logger for its requests, one value reused: each request's id and tenant
/// are set on it in place. A copy of a logger with metadata of its own is two
/// allocations (its storage and its list of metadata) a request; this one's storage is
/// referenced only by the request being answered, so setting them allocates nothing.
/// A copy a request keeps past its answer keeps its own metadata (copy on write).
public final class RequestLogger {
    private var logger: Logger

    public init(_ base: Logger) { self.logger = base }

    /// The logger with `requestID` and `tenant` (none: no `tenant` key) as metadata.
    public func with(requestID: String, tenant: String?) -> Logger {
        logger[metadataKey: "request_id"] = .string(requestID)
        logger[metadataKey: "tenant"] = tenant.map { .string($0) }
        return logger
    }
}
