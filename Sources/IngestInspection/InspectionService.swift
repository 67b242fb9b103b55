import BatchModel

#if canImport(Glibc)
    import Glibc
#endif

/// The loop an inspection helper process runs: read a request from standard
/// input, inspect the item under a fresh CPU-time budget, write the outcome to
/// standard output; until batchd closes the pipe. Its memory limit is set once,
/// at start (`limitMemory`). A file that breaks the inspector kills this process,
/// never batchd: batchd sees the pipe close and the exit status, and starts another.
public enum InspectionService {
    /// How much lower than batchd's the helpers' CPU priority is (nice increment).
    public static let niceness: Int32 = 10

    /// Caps the process's address space (RLIMIT_AS) at `megabytes`.
    public static func limitMemory(megabytes: Int) {
        var limit = rlimit(rlim_cur: rlim_t(megabytes) << 20, rlim_max: rlim_t(megabytes) << 20)
        setrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), &limit)
    }

    /// Lets the next item use `seconds` of CPU time on top of what was used so far;
    /// past it the kernel sends SIGXCPU, which ends the process.
    static func limitCPU(seconds: Int) {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        let used = Int(usage.ru_utime.tv_sec) + Int(usage.ru_stime.tv_sec) + 1
        var limit = rlimit(rlim_cur: rlim_t(used + max(1, seconds)), rlim_max: rlim_t.max)
        setrlimit(__rlimit_resource_t(RLIMIT_CPU.rawValue), &limit)
    }

    /// Serves requests until standard input closes; returns the exit status.
    public static func serve(input: Int32 = 0, output: Int32 = 1) -> Int32 {
        while true {
            guard case .bytes(let prefix) = PipeIO.read(input, count: 4) else { return 0 }
            let length = InspectionWire.frameLength(prefix)
            guard length <= InspectionWire.maxHeaderBytes, case .bytes(let header) = PipeIO.read(input, count: length) else { return 2 }
            guard let parsed = try? InspectionWire.parseRequestHeader(header) else { return 2 }
            var request = parsed.request
            if let contentBytes = parsed.contentBytes {
                guard case .bytes(let content) = PipeIO.read(input, count: contentBytes) else { return 2 }
                request.content = content
            }
            limitCPU(seconds: parsed.cpuSeconds)
            let outcome = IngestWork.outcome(request)
            guard PipeIO.writeAll(output, InspectionWire.reply(outcome)) else { return 0 }
        }
    }
}
