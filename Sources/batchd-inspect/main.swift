import IngestInspection

#if canImport(Glibc)
    import Glibc
#endif

// batchd-inspect: the inspection helper batchd starts (never run by hand).
//   batchd-inspect --memory-mb N
// Reads requests on standard input and answers on standard output (InspectionWire).
var memoryMegabytes = 1024
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    if argument == "--memory-mb", let value = arguments.popFirst().flatMap({ Int($0) }), value > 0 {
        memoryMegabytes = value
    } else {
        let usage = "usage: batchd-inspect [--memory-mb N]  (started by batchd; speaks on stdin/stdout)\n"
        _ = PipeIO.writeAll(2, Array(usage.utf8))
        exit(64)
    }
}
// batchd ignores SIGPIPE; a helper whose batchd is gone just ends.
signal(SIGPIPE, SIG_DFL)
InspectionService.limitMemory(megabytes: memoryMegabytes)
// Inspection is background work: on a busy machine it yields the CPU to batchd's
// request threads, so one tenant's heavy files do not slow every tenant's answers.
_ = nice(InspectionService.niceness)
exit(InspectionService.serve())
