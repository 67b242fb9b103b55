import BatchCodecs
public import BatchModel
public import BatchStore
import IngestInspection

/// Does the work of one item. Called on a scheduler worker thread; may block for
/// as long as the item's timeout allows. It MUST NOT throw or trap on bad input:
/// a bad item is an `ItemOutcome.failed` with one of the spec's error types.
public protocol Processor: Sendable {
    /// The name batches give in `processor` (`noop`, `ingest`, `exec:NAME`).
    var name: String { get }
    /// Items a worker claims at once for this processor: many for instant work,
    /// one for slow work, so a claim never holds items it is not running.
    var claimBatch: Int { get }
    /// Runs one item. `control` says when to stop early (cancelled, lease lost, shutting down).
    func process(_ item: ClaimedItem, control: ProcessingControl) -> ItemOutcome
}

/// What a processor may ask while it runs. `shouldStop()` also renews the item's
/// lease; call it about once a second from long work.
public struct ProcessingControl: Sendable {
    public let shouldStop: @Sendable () -> Bool

    public init(shouldStop: @escaping @Sendable () -> Bool) { self.shouldStop = shouldStop }

    public static let never = ProcessingControl(shouldStop: { false })
}

/// Finishes every item at once with an empty result: for measuring the
/// scheduler and the store themselves.
public struct NoopProcessor: Processor {
    public let name = "noop"
    public let claimBatch = 32
    public init() {}

    public func process(_ item: ClaimedItem, control: ProcessingControl) -> ItemOutcome {
        // Debug builds only: lets the suite crash batchd itself under an item.
        TestFault.fire(item.content)
        return .succeeded(result: ["bytes": .integer(item.content?.count ?? 0)], mediaType: nil, usage: .none)
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

    /// Where exec processors keep their files, and the programs they run.
    var execWorkDirectories: Set<String> { Set(processors.values.compactMap { ($0 as? ExecProcessor)?.workDirectory }) }
    var execPrograms: Set<String> { Set(processors.values.compactMap { ($0 as? ExecProcessor)?.command.first }) }

    /// Every processor's claim size (one item for a name it does not know).
    public var claimSizes: ClaimSizes { ClaimSizes(byProcessor: processors.mapValues(\.claimBatch), otherwise: 1) }
}
