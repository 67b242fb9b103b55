/// How a batch runs, as its creator configured it (`configuration` in the JSON
/// body, `batch_options` in Wickson's form). Every field has a default and a
/// bounded range; `problems` lists what is out of range.
public struct BatchConfiguration: Sendable, Equatable {
    public enum Priority: String, Sendable, CaseIterable {
        case low, normal, high
        /// Stored as a number so `ORDER BY priority DESC` puts high first.
        public var rank: Int {
            switch self {
            case .low: 0
            case .normal: 1
            case .high: 2
            }
        }
        public init?(rank: Int) {
            switch rank {
            case 0: self = .low
            case 1: self = .normal
            case 2: self = .high
            default: return nil
            }
        }
    }

    public var maxConcurrent: Int = 5
    public var priority: Priority = .normal
    /// Seconds one item may run before it fails with `timeout_error`.
    public var timeoutSeconds: Int = 3600
    public var notificationURL: String?
    /// Seconds after creation by which items must have started, or they expire.
    public var completionWindowSeconds: Int?
    /// Days after completion before items, results and blobs are purged.
    public var retentionDays: Int = 30

    public init() {}

    public static let maxConcurrentRange = 1...1000
    public static let timeoutRange = 1...86_400
    public static let retentionRange = 1...3650
    public static let completionWindowRange = 60...(86_400 * 30)

    /// Field names and reasons for every value out of range.
    public var problems: [(field: String, reason: String)] {
        var found: [(String, String)] = []
        if !Self.maxConcurrentRange.contains(maxConcurrent) { found.append(("max_concurrent", "must be between 1 and 1000")) }
        if !Self.timeoutRange.contains(timeoutSeconds) { found.append(("timeout", "must be between 1 and 86400 seconds")) }
        if !Self.retentionRange.contains(retentionDays) { found.append(("retention_days", "must be between 1 and 3650")) }
        if let window = completionWindowSeconds, !Self.completionWindowRange.contains(window) {
            found.append(("completion_window", "must be between 60 seconds and 30 days"))
        }
        if let url = notificationURL, case .failure(let refusal) = WebhookTarget.parse(url) {
            found.append(("notification_url", refusal.description))
        }
        return found
    }

    /// Parses a duration: whole seconds, or a number with `s`, `m`, `h` or `d` (`"24h"`).
    public static func seconds(fromDuration text: String) -> Int? {
        let units: [Character: Int] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        var digits = Substring(text)
        var multiplier = 1
        if let last = text.last, let unit = units[last] {
            multiplier = unit
            digits = digits.dropLast()
        }
        guard !digits.isEmpty, digits.first != "0", digits.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(digits), value <= 10_000_000
        else {
            return nil
        }
        return value * multiplier
    }
}
