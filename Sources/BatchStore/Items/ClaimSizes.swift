/// How many items one claim takes from a batch, by the batch's processor: a
/// fast in-process processor takes many at once, a command one at a time.
/// Known before the batch is chosen, so that on PostgreSQL the choice and the
/// claim are one statement.
public struct ClaimSizes: Sendable, Equatable {
    public var byProcessor: [String: Int]
    /// For a processor not named.
    public var otherwise: Int

    public init(byProcessor: [String: Int] = [:], otherwise: Int) {
        self.byProcessor = byProcessor
        self.otherwise = otherwise
    }

    public func size(for processor: String) -> Int { byProcessor[processor] ?? otherwise }
}
