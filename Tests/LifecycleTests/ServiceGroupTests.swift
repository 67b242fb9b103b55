import Dispatch
import Foundation
import Logging
import Synchronization
import Testing

@testable import Lifecycle

/// A service that records what the group asks of it, and takes `stopSeconds`
/// to finish once told to stop.
private final class Journal: Sendable {
    private let entries = Mutex<[String]>([])
    func append(_ entry: String) { entries.withLock { $0.append(entry) } }
    var all: [String] { entries.withLock { $0 } }
}

private final class RecordingService: Service {
    let name: String
    let journal: Journal
    let failsToStart: Bool
    let stopSeconds: Double
    private let stopping = StopSignal()

    init(_ name: String, journal: Journal, failsToStart: Bool = false, stopSeconds: Double = 0) {
        self.name = name
        self.journal = journal
        self.failsToStart = failsToStart
        self.stopSeconds = stopSeconds
    }

    struct Refused: Error {}

    func start() throws {
        if failsToStart { throw Refused() }
        journal.append("start \(name)")
    }

    func beginStopping() { journal.append("stop \(name)") }

    func finishStopping(by deadline: DispatchTime) -> Bool {
        let finishesAt = DispatchTime.now() + stopSeconds
        let wait = min(finishesAt, deadline)
        _ = stopping.sleep(milliseconds: Int((Double(wait.uptimeNanoseconds) - Double(DispatchTime.now().uptimeNanoseconds)) / 1e6))
        journal.append("finish \(name)")
        return finishesAt <= deadline
    }
}

@Suite struct ServiceGroupTests {
    @Test func startsInOrderAndStopsInReverse() throws {
        let journal = Journal()
        let group = ServiceGroup(["a", "b", "c"].map { RecordingService($0, journal: journal) })
        try group.start()
        #expect(group.stop(by: .now() + 1).isEmpty)
        #expect(
            journal.all == ["start a", "start b", "start c", "stop c", "stop b", "stop a", "finish c", "finish b", "finish a"])
    }

    @Test func aServiceThatCannotStartStopsThoseBeforeIt() {
        let journal = Journal()
        let group = ServiceGroup([
            RecordingService("a", journal: journal), RecordingService("b", journal: journal),
            RecordingService("c", journal: journal, failsToStart: true),
            RecordingService("d", journal: journal),
        ])
        #expect(throws: RecordingService.Refused.self) { try group.start() }
        #expect(journal.all == ["start a", "start b", "stop b", "stop a", "finish b", "finish a"])
    }

    @Test func oneDeadlineCoversEveryService() throws {
        let journal = Journal()
        // Each would take 2 s; the group's deadline is 0.5 s away for all of them.
        let group = ServiceGroup(["a", "b", "c"].map { RecordingService($0, journal: journal, stopSeconds: 2) })
        try group.start()
        let started = DispatchTime.now()
        #expect(group.stop(by: .now() + 0.5) == ["c", "b", "a"])
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
        #expect(elapsed < 1.5, "took \(elapsed) s")
    }
}

@Suite struct PeriodicWorkerTests {
    struct Broken: Error {}

    @Test func anErrorDropsTheConnectionAndTheNextPassGetsANewOne() throws {
        let connections = Atomic<Int>(0)
        let passes = Mutex<[Int]>([])
        let worker = PeriodicWorker<Int>(
            name: "test", intervalMilliseconds: 1, retryMilliseconds: 1, logger: Logger(label: "test"),
            connect: { connections.add(1, ordering: .relaxed).newValue },
            makePass: { _ in
                return { connection, _ in
                    let count = passes.withLock {
                        $0.append(connection)
                        return $0.count
                    }
                    if count == 2 { throw Broken() }
                    return .wait
                }
            })
        try worker.start()
        while passes.withLock({ $0.count }) < 4 { usleep(1000) }
        #expect(worker.stop(grace: 2))
        let seen = passes.withLock { $0 }
        // The first two passes share connection 1; the failure brings connection 2.
        #expect(Array(seen.prefix(4)) == [1, 1, 2, 2])
    }

    @Test func aStopCutsTheIntervalShort() throws {
        let passes = Atomic<Int>(0)
        let worker = PeriodicWorker<Void>(
            name: "test", threads: 3, intervalMilliseconds: 60_000, logger: Logger(label: "test"), connect: {},
            makePass: { _ in
                return { _, _ in
                    passes.add(1, ordering: .relaxed)
                    return .wait
                }
            })
        try worker.start()
        while passes.load(ordering: .relaxed) < 3 { usleep(1000) }
        let started = DispatchTime.now()
        #expect(worker.stop(grace: 5))
        #expect(Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9 < 1)
        #expect(passes.load(ordering: .relaxed) == 3)
    }

    @Test func aPassThatFindsMoreWorkRunsAgainAtOnce() throws {
        let passes = Atomic<Int>(0)
        let worker = PeriodicWorker<Void>(
            name: "test", intervalMilliseconds: 60_000, logger: Logger(label: "test"), connect: {},
            makePass: { _ in
                return { _, _ in passes.add(1, ordering: .relaxed).newValue < 50 ? .again : .wait }
            })
        try worker.start()
        let deadline = DispatchTime.now() + 5
        while passes.load(ordering: .relaxed) < 50, DispatchTime.now() < deadline { usleep(1000) }
        #expect(passes.load(ordering: .relaxed) == 50)
        #expect(worker.stop(grace: 5))
    }
}
