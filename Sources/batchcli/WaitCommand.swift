import ArgumentParser
import BatchClient
import Foundation

/// `batchcli wait ID`: polls until the batch ends. On a terminal, one progress
/// line redrawn in place; otherwise one JSON line per change. Polls no sooner
/// than the server's `cache_remaining` says the answer can change, and (through
/// `APIClient`) never before a `Retry-After`. Exit status: the outcome's.
struct WaitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wait", abstract: "Wait for a batch to end, showing its progress.",
        discussion: """
            batchcli wait batch-abc123                 # progress bar; exit 0 when completed
            batchcli wait batch-abc123 | jq .percentage   # one JSON line per change
            Exit status: 0 completed, 3 failed, 4 cancelled, 5 expired, 75 --timeout reached.
            """)

    @OptionGroup var options: ClientOptions
    @Argument(help: "The batch id.") var batchID: String
    @Option(help: "Give up after this many seconds (exit 75).") var timeout: Double?
    @Option(help: "Never poll more often than this many seconds.") var minimumInterval: Double = 1

    func run() throws {
        try reporting {
            let client = try options.client()
            let pace = PollingPace(minimum: minimumInterval)
            let terminal = Console.outputIsTerminal && options.output == .text
            let started = Date()
            var rate = RateWindow()
            var last: BatchProgress?
            while true {
                let response = try client.send("GET", "/v1/batches/\(BatchPath.escaped(batchID))?metrics_only=true").requireSuccess()
                guard let progress = BatchProgress(envelope: response.body) else {
                    throw CLIFailure(.unavailable("the answer is not a status document"))
                }
                let now = Date().timeIntervalSince(started)
                rate.observe(finished: progress.finished, at: now)
                if terminal {
                    Console.raw(Data(("\r\u{1B}[2K" + ProgressLine().render(progress, rate: rate.perSecond, width: Console.width - 1)).utf8))
                } else if last.map({ !progress.sameProgress(as: $0) }) ?? true {
                    var line: [String: Any] = [
                        "batch_id": progress.batchID, "status": progress.status, "total": progress.total, "succeeded": progress.succeeded,
                        "failed": progress.failed, "pending": progress.pending, "processing": progress.processing, "percentage": progress.percentage,
                        "elapsed_seconds": (now * 10).rounded() / 10,
                    ]
                    if let perSecond = rate.perSecond { line["items_per_second"] = (perSecond * 10).rounded() / 10 }
                    if let estimate = progress.estimatedCompletion { line["estimated_completion"] = estimate }
                    Console.out(Console.jsonLine(line))
                }
                last = progress
                if let outcome = progress.outcome {
                    if terminal { Console.raw(Data("\n".utf8)) }
                    if outcome != .completed { throw ExitCode(outcome.exitCode) }
                    return
                }
                let delay = pace.delay(cacheRemaining: progress.cacheRemaining)
                if let timeout, now + delay > timeout {
                    if terminal { Console.raw(Data("\n".utf8)) }
                    Console.error("batchcli: \(batchID) still \(progress.status) after \(Int(timeout)) s")
                    throw ExitCode(75)
                }
                Thread.sleep(forTimeInterval: delay)
            }
        }
    }
}
