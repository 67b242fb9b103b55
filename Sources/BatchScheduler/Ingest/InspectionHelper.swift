import BatchModel
import IngestInspection

#if canImport(Glibc)
    import Glibc
#endif

/// glibc's pipe2, which the Glibc module leaves out (it is a GNU extension): the
/// pipes must be close-on-exec from birth, or a command another worker starts at
/// that moment would inherit them and keep a dead batchd's helper waiting.
@_silgen_name("pipe2")
private func pipe2(_ fds: UnsafeMutablePointer<Int32>, _ flags: Int32) -> Int32

/// One long-lived `batchd-inspect` process and its pipes. Used by one scheduler
/// worker at a time (the pool hands it out), which is why it needs no lock.
final class InspectionHelper: @unchecked Sendable {
    /// What asking the helper about one item came to.
    enum Answer: Equatable {
        case outcome(ItemOutcome)
        /// The helper died under the item: how, and the last of what it wrote to stderr.
        case died(ProcessLauncher.Exit, stderr: String)
        /// The item's wall-clock timeout passed; the helper was killed.
        case timedOut
        /// The item's lease was lost (cancelled, shutting down); the helper was killed.
        case stopped
    }

    let pid: pid_t
    private let requests: Int32
    private let replies: Int32
    private let errors: Int32
    private var exited = false

    private init(pid: pid_t, requests: Int32, replies: Int32, errors: Int32) {
        self.pid = pid
        self.requests = requests
        self.replies = replies
        self.errors = errors
    }

    static func launch(executable: String, memoryMegabytes: Int) throws(ProcessLauncher.Failure) -> InspectionHelper {
        var input: [Int32] = [0, 0]
        var output: [Int32] = [0, 0]
        var diagnostics: [Int32] = [0, 0]
        guard pipe2(&input, O_CLOEXEC) == 0 else { throw ProcessLauncher.Failure(description: "pipe: \(String(cString: strerror(errno)))") }
        guard pipe2(&output, O_CLOEXEC) == 0 else {
            close(input[0])
            close(input[1])
            throw ProcessLauncher.Failure(description: "pipe: \(String(cString: strerror(errno)))")
        }
        guard pipe2(&diagnostics, O_CLOEXEC | O_NONBLOCK) == 0 else {
            for fd in input + output { close(fd) }
            throw ProcessLauncher.Failure(description: "pipe: \(String(cString: strerror(errno)))")
        }
        defer {
            close(input[0])
            close(output[1])
            close(diagnostics[1])
        }
        do {
            let pid = try ProcessLauncher.spawn(
                [executable, "--memory-mb", "\(memoryMegabytes)"], environment: ["PATH=/usr/bin:/bin", "SWIFT_BACKTRACE=enable=no"],
                streams: (.descriptor(input[0]), .descriptor(output[1]), .descriptor(diagnostics[1])))
            return InspectionHelper(pid: pid, requests: input[1], replies: output[0], errors: diagnostics[0])
        } catch {
            close(input[1])
            close(output[0])
            close(diagnostics[0])
            throw error
        }
    }

    /// Sends one item and waits for its outcome: at most `timeoutSeconds` of wall
    /// time, asking `control` about once a second whether to stop.
    func inspect(_ request: IngestWork.Request, cpuSeconds: Int, timeoutSeconds: Int, control: ProcessingControl) -> Answer {
        let content = request.content ?? []
        guard PipeIO.writeAll(requests, InspectionWire.requestHeader(request, cpuSeconds: cpuSeconds)), PipeIO.writeAll(requests, content) else {
            return death()
        }
        let deadline = SystemClock.monotonicMilliseconds() + Int64(timeoutSeconds) * 1000
        var verdict: Answer?
        let keepWaiting = {
            if SystemClock.monotonicMilliseconds() >= deadline {
                verdict = .timedOut
            } else if control.shouldStop() {
                verdict = .stopped
            }
            return verdict == nil
        }
        switch PipeIO.read(replies, count: 4, tickMilliseconds: 250, keepWaiting: keepWaiting) {
        case .abandoned:
            terminate()
            return verdict ?? .stopped
        case .closed:
            return death()
        case .bytes(let prefix):
            let length = InspectionWire.frameLength(prefix)
            guard length <= InspectionWire.maxReplyBytes, case .bytes(let body) = PipeIO.read(replies, count: length),
                let outcome = try? InspectionWire.parseReply(body)
            else {
                terminate()
                return .died(.status(-1), stderr: "the helper's reply was unreadable")
            }
            return .outcome(outcome)
        }
    }

    /// The helper closed its pipe: wait for it and say how it ended.
    private func death() -> Answer {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        exited = true
        let answer = Answer.died(ProcessLauncher.Exit(waitStatus: status), stderr: drainErrors())
        closePipes()
        return answer
    }

    /// What the helper said as it died: its runtime's fatal-error line.
    private func drainErrors() -> String {
        var collected: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while collected.count < 64 << 10 {
            let n = buffer.withUnsafeMutableBytes { read(errors, $0.baseAddress!, $0.count) }
            if n <= 0 { break }
            collected += buffer[0..<n]
        }
        // The runtime's "Fatal error: …" line comes first; a stack trace may follow.
        let text = String(decoding: collected, as: UTF8.self)
        return text.split(separator: "\n").first(where: { $0.hasPrefix("Fatal error") }).map { String($0.prefix(300)) } ?? String(text.prefix(300))
    }

    /// Kills the helper (if it still runs) and closes its pipes.
    func terminate() {
        guard !exited else { return }
        exited = true
        kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        closePipes()
    }

    private func closePipes() {
        close(requests)
        close(replies)
        close(errors)
    }

    var isAlive: Bool { !exited }
}
