import BatchCodecs
public import BatchModel
public import IngestInspection
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The inspection helpers of one batchd: long-lived `batchd-inspect` processes,
/// started when first needed, each lent to one scheduler worker for one item.
/// A helper that dies (trap, memory or CPU limit) or is killed (timeout, cancel)
/// is replaced by a fresh one on the next item; batchd and every other item
/// carry on.
public final class InspectionHelperPool: Sendable {
    public struct Configuration: Sendable {
        /// The helper program: `batchd-inspect`, by default beside batchd.
        public var executable: String
        /// Address space of each helper (RLIMIT_AS).
        public var memoryMegabytes = 1024
        /// CPU time one item may use in its helper (RLIMIT_CPU, per item).
        public var cpuSeconds = 30

        public init(executable: String) { self.executable = executable }
    }

    public let configuration: Configuration
    private let idle = Mutex<[InspectionHelper]>([])

    public init(_ configuration: Configuration) { self.configuration = configuration }

    /// Inspects one item in a helper and says what became of it. A helper's death
    /// becomes the item's outcome here: `resource_error` for the memory and CPU
    /// limits (a retry would end the same way), `.crashed` for anything else (run
    /// once more, then failed for good).
    public func outcome(_ request: IngestWork.Request, timeoutSeconds: Int, control: ProcessingControl) -> ItemOutcome {
        let helper: InspectionHelper
        do {
            helper = try take()
        } catch {
            return .crashed(errorType: "processing_error", message: "Cannot start the file inspector: \(error)")
        }
        let answer = helper.inspect(request, cpuSeconds: configuration.cpuSeconds, timeoutSeconds: timeoutSeconds, control: control)
        if helper.isAlive { idle.withLock { $0.append(helper) } }
        switch answer {
        case .outcome(let outcome):
            return outcome
        case .timedOut:
            return .failed(
                errorType: "timeout_error", message: "Processing exceeded the timeout of \(timeoutSeconds) seconds",
                details: ["timeout": .integer(timeoutSeconds)])
        case .stopped:
            return .failed(errorType: "processing_error", message: "Stopped: the item was cancelled", details: nil)
        case .died(let exit, let stderr):
            return Self.outcome(ofDeath: exit, stderr: stderr, configuration: configuration)
        }
    }

    static func outcome(ofDeath exit: ProcessLauncher.Exit, stderr: String, configuration: Configuration) -> ItemOutcome {
        if exit == .signal(SIGXCPU) {
            return .failed(
                errorType: "resource_error", message: "Inspecting this file used more than \(configuration.cpuSeconds) s of CPU time",
                details: ["limit_cpu_seconds": .integer(configuration.cpuSeconds)])
        }
        // The runtime's own words when an allocation fails under RLIMIT_AS; a SIGKILL
        // batchd did not send is the kernel's out-of-memory killer.
        if stderr.contains("failed to allocate") || stderr.contains("out of memory") || exit == .signal(SIGKILL) {
            return .failed(
                errorType: "resource_error", message: "Inspecting this file needed more than \(configuration.memoryMegabytes) MiB of memory",
                details: ["limit_memory_mb": .integer(configuration.memoryMegabytes)])
        }
        let how =
            switch exit {
            case .signal(let number): "signal \(number)"
            case .status(let code): "exit status \(code)"
            }
        let reason = stderr.isEmpty ? "" : ": " + stderr
        return .crashed(errorType: "processing_error", message: "The file inspector died on this file (\(how))\(reason)")
    }

    private func take() throws(ProcessLauncher.Failure) -> InspectionHelper {
        if let helper = idle.withLock({ $0.popLast() }) { return helper }
        return try InspectionHelper.launch(executable: configuration.executable, memoryMegabytes: configuration.memoryMegabytes)
    }

    /// Ends every idle helper (at shutdown; helpers also end when batchd's pipes close).
    public func shutdown() {
        let helpers = idle.withLock { helpers in
            defer { helpers.removeAll() }
            return helpers
        }
        for helper in helpers { helper.terminate() }
    }
}
