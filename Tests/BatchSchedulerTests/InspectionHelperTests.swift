import BatchModel
import Foundation
import IngestInspection
import Testing

@testable import BatchScheduler

/// The inspection helpers as batchd runs them: real `batchd-inspect` processes.
/// Faults are provoked with the debug build's `TestFault` markers.
@Suite struct InspectionHelperTests {
    static let helperPath: String = {
        let binDirectory =
            ProcessInfo.processInfo.environment["BATCHD_BIN_DIR"]
            ?? {
                var url = URL(fileURLWithPath: #filePath)
                for _ in 0..<3 { url.deleteLastPathComponent() }
                return url.path + "/.build/debug"
            }()
        return binDirectory + "/batchd-inspect"
    }()

    func pool(memoryMegabytes: Int = 512, cpuSeconds: Int = 30) -> InspectionHelperPool {
        var configuration = InspectionHelperPool.Configuration(executable: Self.helperPath)
        configuration.memoryMegabytes = memoryMegabytes
        configuration.cpuSeconds = cpuSeconds
        return InspectionHelperPool(configuration)
    }

    func request(_ content: [UInt8], name: String = "file.bin") -> IngestWork.Request {
        IngestWork.Request(content: content, filePath: nil, filename: name, displayName: name, limits: .wickson)
    }

    static let text = Array("two words\nand three more\n".utf8)

    @Test func helperAnswersAsInProcessInspectionDoes() {
        let pool = pool()
        defer { pool.shutdown() }
        for bytes in [Self.text, Array("%PDF-1.4 no trailer".utf8), [0x00, 0x01, 0x02]] {
            #expect(pool.outcome(request(bytes), timeoutSeconds: 10, control: .never) == IngestWork.outcome(request(bytes)))
        }
    }

    @Test func aTrapFailsOnlyItsItemAndTheHelperIsReplaced() {
        let pool = pool()
        defer { pool.shutdown() }
        let outcome = pool.outcome(request(Array(TestFault.crash.utf8)), timeoutSeconds: 10, control: .never)
        guard case .crashed(let type, let message) = outcome else {
            Issue.record("expected a crash, got \(outcome)")
            return
        }
        #expect(type == "processing_error")
        #expect(message.contains("died"))
        guard case .succeeded = pool.outcome(request(Self.text), timeoutSeconds: 10, control: .never) else {
            Issue.record("the next item did not succeed in a fresh helper")
            return
        }
    }

    @Test func theMemoryLimitIsAResourceError() {
        let pool = pool(memoryMegabytes: 256)
        defer { pool.shutdown() }
        let outcome = pool.outcome(request(Array(TestFault.hogMemory.utf8)), timeoutSeconds: 30, control: .never)
        guard case .failed(let type, let message, _) = outcome else {
            Issue.record("expected a failure, got \(outcome)")
            return
        }
        #expect(type == "resource_error")
        #expect(message.contains("256 MiB"))
    }

    @Test func theCPULimitIsAResourceError() {
        let pool = pool(cpuSeconds: 1)
        defer { pool.shutdown() }
        let outcome = pool.outcome(request(Array(TestFault.spin.utf8)), timeoutSeconds: 30, control: .never)
        guard case .failed(let type, let message, _) = outcome else {
            Issue.record("expected a failure, got \(outcome)")
            return
        }
        #expect(type == "resource_error")
        #expect(message.contains("CPU"))
    }

    @Test func theWallClockTimeoutKillsTheHelper() {
        let pool = pool(cpuSeconds: 60)
        defer { pool.shutdown() }
        let started = SystemClock.monotonicMilliseconds()
        let outcome = pool.outcome(request(Array(TestFault.spin.utf8)), timeoutSeconds: 1, control: .never)
        guard case .failed(let type, _, _) = outcome else {
            Issue.record("expected a failure, got \(outcome)")
            return
        }
        #expect(type == "timeout_error")
        #expect(SystemClock.monotonicMilliseconds() - started < 5000)
    }

    @Test func aLostLeaseStopsTheHelper() {
        let pool = pool(cpuSeconds: 60)
        defer { pool.shutdown() }
        let outcome = pool.outcome(request(Array(TestFault.spin.utf8)), timeoutSeconds: 60, control: ProcessingControl { true })
        guard case .failed(let type, let message, _) = outcome else {
            Issue.record("expected a failure, got \(outcome)")
            return
        }
        #expect(type == "processing_error")
        #expect(message.contains("cancelled"))
    }

    @Test func wireRoundTripsEveryOutcome() throws {
        let outcomes: [ItemOutcome] = [
            IngestWork.outcome(request(Self.text)),
            .failed(errorType: "corrupted_file", message: "bad", details: ["reason": "x"]),
            .failed(errorType: "format_error", message: "no", details: nil),
            .crashed(errorType: "processing_error", message: "died"),
        ]
        for outcome in outcomes {
            let frame = InspectionWire.reply(outcome)
            #expect(InspectionWire.frameLength(frame) == frame.count - 4)
            #expect(try InspectionWire.parseReply(Array(frame.dropFirst(4))) == outcome, "\(outcome)")
        }
    }
}

/// How a helper's death becomes its item's outcome.
@Suite struct HelperDeathTests {
    let configuration = InspectionHelperPool.Configuration(executable: "/nonexistent")

    func outcome(_ exit: ProcessLauncher.Exit, _ stderr: String = "") -> ItemOutcome {
        InspectionHelperPool.outcome(ofDeath: exit, stderr: stderr, configuration: configuration)
    }

    @Test func limitsAreResourceErrorsAndTrapsAreCrashes() {
        guard case .failed("resource_error", let cpu, _) = outcome(.signal(SIGXCPU)) else {
            Issue.record("SIGXCPU")
            return
        }
        #expect(cpu.contains("30 s of CPU time"))
        guard case .failed("resource_error", let memory, _) = outcome(.signal(SIGABRT), "Fatal error: failed to allocate 16 bytes") else {
            Issue.record("allocation failure")
            return
        }
        #expect(memory.contains("1024 MiB"))
        guard case .failed("resource_error", _, _) = outcome(.signal(SIGKILL)) else {
            Issue.record("SIGKILL")
            return
        }
        guard case .crashed("processing_error", let trap) = outcome(.signal(SIGILL), "Fatal error: Index out of range") else {
            Issue.record("trap")
            return
        }
        #expect(trap.contains("signal 4") && trap.contains("Index out of range"))
        guard case .crashed = outcome(.status(2)) else {
            Issue.record("exit 2")
            return
        }
    }
}
