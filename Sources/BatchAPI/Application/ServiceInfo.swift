import BatchModel

/// Facts about this batchd process that responses report.
public struct ServiceInfo: Sendable {
    /// batchd's own version.
    public static let version = "0.1.0"
    /// The wire API version in `metadata.api_version`, as spec 000 shows it.
    public static let apiVersion = "1.0.0"

    public var startedAt: Timestamp
    /// Bodies larger than this are refused with 413 before they are read.
    public var maxBodyBytes: Int
    public var batchLimits: BatchLimits

    public init(startedAt: Timestamp = .now(), maxBodyBytes: Int, batchLimits: BatchLimits = BatchLimits()) {
        self.startedAt = startedAt
        self.maxBodyBytes = maxBodyBytes
        self.batchLimits = batchLimits
    }
}
