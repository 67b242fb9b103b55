public import BatchCodecs

/// An item a scheduler worker holds a lease on: what a processor needs, and the
/// fence (`leaseOwner`, `attempt`) its result must carry to be counted.
public struct ClaimedItem: Sendable, Equatable {
    public var id: String
    public var batchID: String
    public var tenantID: String
    public var seq: Int
    public var attempt: Int
    public var leaseOwner: String
    public var processor: String
    public var collection: String
    /// The batch keeps duplicates of content its collection already holds.
    public var forceOverwrite: Bool
    public var timeoutSeconds: Int
    public var content: [UInt8]?
    public var filePath: String?
    public var filename: String?
    public var customID: String?
    public var context: String?
    /// How often a process running this item died while it ran (see `ItemOutcome.crashed`).
    public var crashes: Int

    public init(
        id: String, batchID: String, tenantID: String, seq: Int, attempt: Int, leaseOwner: String, processor: String, collection: String,
        forceOverwrite: Bool = false, timeoutSeconds: Int, content: [UInt8]?, filePath: String?, filename: String?, customID: String?,
        context: String?,
        crashes: Int = 0
    ) {
        self.id = id
        self.batchID = batchID
        self.tenantID = tenantID
        self.seq = seq
        self.attempt = attempt
        self.leaseOwner = leaseOwner
        self.processor = processor
        self.collection = collection
        self.forceOverwrite = forceOverwrite
        self.timeoutSeconds = timeoutSeconds
        self.content = content
        self.filePath = filePath
        self.filename = filename
        self.customID = customID
        self.context = context
        self.crashes = crashes
    }

    /// The name shown in error summaries: the filename, else the custom id, else the item id.
    public var displayName: String { filename ?? customID ?? id }
}

/// What processing an item came to.
public enum ItemOutcome: Sendable, Equatable {
    case succeeded(result: JSONValue?, mediaType: String?, usage: Usage, media: NewMedia? = nil)
    /// `errorType` is one of the spec's types (`format_error`, `timeout_error`, …).
    case failed(errorType: String, message: String, details: JSONValue?)
    /// The process running the item died under it (a helper that trapped, a
    /// command killed by a signal). The item runs once more; the second death
    /// fails it for good with `errorType` and `message`: a poison item never
    /// takes more than two processes down.
    case crashed(errorType: String, message: String)

    /// Deaths of the process running an item that fail it for good.
    public static let crashLimit = 2
}

/// What a processor reported using, summed per batch.
public struct Usage: Sendable, Equatable {
    public var costCents: Int64
    public var inputTokens: Int64
    public var outputTokens: Int64

    public static let none = Usage(costCents: 0, inputTokens: 0, outputTokens: 0)

    public init(costCents: Int64, inputTokens: Int64, outputTokens: Int64) {
        self.costCents = costCents
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
    }
}

/// A finished item on its way to the store.
public struct ItemCompletion: Sendable, Equatable {
    public var item: ClaimedItem
    public var outcome: ItemOutcome
    public var startedAt: Timestamp
    public var durationMilliseconds: Int64

    public init(item: ClaimedItem, outcome: ItemOutcome, startedAt: Timestamp, durationMilliseconds: Int64) {
        self.item = item
        self.outcome = outcome
        self.startedAt = startedAt
        self.durationMilliseconds = durationMilliseconds
    }
}
