public import BatchModel

/// Facts about this batchd process that responses report.
public struct ServiceInfo: Sendable {
    /// batchd's own version.
    public static let version = "0.1.0"
    /// The wire API version in `metadata.api_version`, as spec 000 shows it.
    public static let apiVersion = "1.0.0"

    public var startedAt: Timestamp
    /// Bodies larger than this are refused with 413 before they are read.
    public var maxBodyBytes: Int
    /// Bodies parsed in memory (JSON) may be at most this large; uploads stream.
    public var maxInMemoryBodyBytes: Int
    public var batchLimits: BatchLimits
    /// Where uploaded files are kept (`<state>/var/blobs`); nil refuses uploads.
    public var blobDirectory: String?
    /// Where finished batches' results downloads are kept for nginx to send
    /// (`X-Accel-Redirect` to `resultsLocation`); nil renders every download.
    public var renderedResults: RenderedResultsFolder?
    /// nginx's internal location that aliases `renderedResults`' folder.
    public static let resultsLocation = "/.batchd-results/"
    /// Diagnostic: milliseconds every status-document build from SQLite is slowed
    /// by, to make cache stampedes observable in tests. 0 in production.
    public var statusBuildDelayMilliseconds = 0
    /// How long after a request began a create or append may still start its
    /// transaction: well inside nginx's 60 s `fastcgi_read_timeout`, so the answer
    /// always arrives before nginx would have answered 504 instead.
    public var commitDeadlineMilliseconds = 45_000

    public init(
        startedAt: Timestamp = .now(), maxBodyBytes: Int, maxInMemoryBodyBytes: Int = 64 << 20, batchLimits: BatchLimits = BatchLimits(),
        blobDirectory: String? = nil
    ) {
        self.startedAt = startedAt
        self.maxBodyBytes = maxBodyBytes
        self.maxInMemoryBodyBytes = maxInMemoryBodyBytes
        self.batchLimits = batchLimits
        self.blobDirectory = blobDirectory
    }
}
