public import BatchCodecs
public import BatchModel

/// Configured limits on what one create or append request may hold.
public struct BatchLimits: Sendable {
    /// Items in one batch (`shared/API.md`: 100,000).
    public var maxItems: Int = 100_000
    /// Bytes of one inline item (Wickson's document limit: 20 MB).
    public var maxItemBytes: Int = 20 << 20
    /// Files in one upload (Wickson: 25).
    public var maxUploadFiles: Int = 25
    /// Bytes of all files in one upload (Wickson: 100 MB).
    public var maxUploadBytes: Int = 100 << 20
    /// The largest file per media type, checked as uploads arrive.
    public var media: MediaLimits = .wickson
    /// Processors this server can run; others leave the batch `failed`.
    public var processors: Set<String> = ["noop"]
    /// Keys in one `context` object (a batch's or an item's), and so `context.NAME`
    /// columns in a CSV body: enough for any real use, and a bound on the work and
    /// storage one row can cost.
    public var maxContextKeys: Int = 1000
    /// Where `file_path` items are read from; nil refuses `file_path`.
    public var ingestRoot: String?
    /// Where completion webhooks may go.
    public var webhooks = WebhookPolicy()

    public init() {}
}
