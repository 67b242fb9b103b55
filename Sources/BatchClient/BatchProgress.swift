import BatchCodecs

/// What a status document (`GET /v1/batches/{id}?metrics_only=true`) says about
/// a batch's progress, and how long the answer stays as it is (`cache_remaining`).
public struct BatchProgress: Sendable, Equatable {
    public var batchID: String
    public var status: String
    public var total: Int
    public var succeeded: Int
    public var failed: Int
    public var pending: Int
    public var processing: Int
    public var percentage: Double
    /// The server's estimate, ISO 8601, while it has one.
    public var estimatedCompletion: String?
    /// Seconds before the server's cached answer can change (0 when not cached).
    public var cacheRemaining: Int

    public init(
        batchID: String, status: String, total: Int, succeeded: Int, failed: Int, pending: Int, processing: Int, percentage: Double,
        estimatedCompletion: String? = nil, cacheRemaining: Int = 0
    ) {
        self.batchID = batchID
        self.status = status
        self.total = total
        self.succeeded = succeeded
        self.failed = failed
        self.pending = pending
        self.processing = processing
        self.percentage = percentage
        self.estimatedCompletion = estimatedCompletion
        self.cacheRemaining = cacheRemaining
    }

    /// Reads the native envelope of a status answer; nil when it is not one.
    public init?(envelope bytes: [UInt8]) {
        guard case .object(let root)? = try? JSONParser.parse(bytes), case .object(let data)? = root["data"],
            case .object(let progress)? = data["progress"], let id = data["batch_id"]?.stringValue, let status = data["status"]?.stringValue
        else { return nil }
        func integer(_ object: JSONObject, _ key: String) -> Int {
            if case .int(let value)? = object[key] { return Int(value) }
            if case .double(let value)? = object[key] { return Int(value) }
            return 0
        }
        var percentage = 0.0
        if case .double(let value)? = progress["percentage"] { percentage = value }
        if case .int(let value)? = progress["percentage"] { percentage = Double(value) }
        var estimate: String?
        if case .object(let timing)? = data["timing"] { estimate = timing["estimated_completion"]?.stringValue }
        var remaining = 0
        if case .object(let metadata)? = root["metadata"] { remaining = integer(metadata, "cache_remaining") }
        self.init(
            batchID: id, status: status, total: integer(progress, "total"), succeeded: integer(progress, "completed"),
            failed: integer(progress, "failed"), pending: integer(progress, "pending"), processing: integer(progress, "processing"),
            percentage: percentage, estimatedCompletion: estimate, cacheRemaining: remaining)
    }

    public var finished: Int { succeeded + failed }

    /// The batch's end, or nil while it runs.
    public var outcome: BatchOutcome? { BatchOutcome(status: status) }

    /// Whether two answers show the same progress (the cache figures aside).
    public func sameProgress(as other: BatchProgress) -> Bool {
        var other = other
        other.cacheRemaining = cacheRemaining
        other.estimatedCompletion = estimatedCompletion
        return self == other
    }
}
