public import BatchCodecs
public import BatchModel
import IngestInspection

/// `ingest`, the default processor: media ingestion of one file. The type comes
/// from the bytes (`MediaInspector`), the file must be whole, within its type's
/// size limit, and yields a media record (`vec-…`, created by the store when the
/// result commits, unless the collection already holds the same content).
///
/// In batchd the inspection runs in helper processes (`InspectionHelperPool`)
/// with memory and CPU limits, so that hostile bytes can only fail their own
/// item; unit tests may run it in process.
public struct IngestProcessor: Processor {
    public enum Isolation: Sendable {
        case inProcess
        case helpers(InspectionHelperPool)
    }

    public let name = "ingest"
    public let claimBatch = 4

    public let limits: MediaLimits
    public let isolation: Isolation
    /// Where `file_path` items are (`RootedFile`); nil when they are not enabled.
    public let ingestRoot: String?

    public init(limits: MediaLimits = .wickson, isolation: Isolation = .inProcess, ingestRoot: String? = nil) {
        self.limits = limits
        self.isolation = isolation
        self.ingestRoot = ingestRoot
    }

    public func process(_ item: ClaimedItem, control: ProcessingControl) -> ItemOutcome {
        let request = IngestWork.Request(item, limits: limits, ingestRoot: ingestRoot)
        switch isolation {
        case .inProcess: return IngestWork.outcome(request)
        case .helpers(let pool): return pool.outcome(request, timeoutSeconds: item.timeoutSeconds, control: control)
        }
    }
}
