import BatchModel

/// Does the work of one item. Called on a scheduler worker thread; may block for
/// as long as the item's timeout allows. It MUST NOT throw or trap on bad input:
/// a bad item is an `ItemOutcome.failed` with one of the spec's error types.
public protocol Processor: Sendable {
    /// The name batches give in `processor` (`noop`, `ingest`, `exec:NAME`).
    var name: String { get }
    func process(_ item: ClaimedItem) -> ItemOutcome
}

/// Finishes every item at once with an empty result: for measuring the
/// scheduler and the store themselves.
public struct NoopProcessor: Processor {
    public let name = "noop"
    public init() {}

    public func process(_ item: ClaimedItem) -> ItemOutcome {
        .succeeded(result: ["bytes": .integer(item.content?.count ?? 0)], mediaType: nil, usage: .none)
    }
}

/// The processors a server can run, by name.
public struct ProcessorCatalog: Sendable {
    private let processors: [String: any Processor]

    public init(_ processors: [any Processor]) {
        var byName: [String: any Processor] = [:]
        for processor in processors { byName[processor.name] = processor }
        self.processors = byName
    }

    public var names: Set<String> { Set(processors.keys) }

    public func processor(named name: String) -> (any Processor)? { processors[name] }
}
