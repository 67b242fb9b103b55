import BatchModel
import BatchStore
import Foundation
import Logging
import TestSupport
import Testing

@testable import BatchScheduler

/// The scheduler's threads over a real store (a SQLite file, a PostgreSQL server)
/// with the noop processor.
@Suite(.serialized) struct SchedulerTests {
    final class Fixture {
        let store: TemporaryStore
        var database: StoreDatabase { store.database }
        var connection: any StoreConnection { store.connection }

        init(_ backend: StoreBackend) throws { store = try TemporaryStore(label: "scheduler", backend: backend) }

        func createBatch(items: Int, processor: String = "noop", maxConcurrent: Int = 5) throws -> String {
            var configuration = BatchConfiguration()
            configuration.maxConcurrent = maxConcurrent
            return try store.createBatch(items: items, processor: processor, configuration: configuration)
        }

        func waitForState(_ id: String, _ state: BatchState, seconds: Double = 20) throws -> BatchRow {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if let row = try BatchRecords(connection).find(id: id), row.state == state { return row }
                usleep(20_000)
            }
            throw StoreError.notFound("batch \(id) in state \(state)")
        }
    }

    func scheduler(_ fixture: Fixture, workers: Int = 2) -> Scheduler {
        var configuration = Scheduler.Configuration()
        configuration.workers = workers
        configuration.idleMilliseconds = 10
        return Scheduler(
            configuration: configuration, database: fixture.database, catalog: ProcessorCatalog([NoopProcessor()]), logger: Logger(label: "test"))
    }

    @Test(arguments: StoreBackend.allCases) func runsEveryItemOnceToCompletion(_ backend: StoreBackend) throws {
        let fixture = try Fixture(backend)
        let first = try fixture.createBatch(items: 500, maxConcurrent: 50)
        let second = try fixture.createBatch(items: 20)
        let running = scheduler(fixture)
        try running.start()
        defer { running.stop(grace: 5) }
        for id in [first, second] {
            let done = try fixture.waitForState(id, .completed)
            #expect(done.succeeded == done.totalItems)
            #expect(done.pending == 0 && done.processing == 0 && done.failed == 0)
            #expect(done.completedAt != nil && done.startedAt != nil)
        }
        // Counters agree with the items themselves, and each ran exactly once.
        let check = try fixture.connection.statement(
            "SELECT count(*), sum(attempt), sum(CASE WHEN status = 'succeeded' THEN 1 ELSE 0 END) FROM items"
        ).firstRow {
            [$0.int(0), $0.int(1), $0.int(2)]
        }
        #expect(check == [520, 520, 520])
    }

    @Test(arguments: StoreBackend.allCases) func unknownProcessorItemsFailWithProcessingError(_ backend: StoreBackend) throws {
        let fixture = try Fixture(backend)
        let id = try fixture.createBatch(items: 3, processor: "gone")
        let running = scheduler(fixture)
        try running.start()
        defer { running.stop(grace: 5) }
        let done = try fixture.waitForState(id, .completed)
        #expect(done.failed == 3)
        let summary = try fixture.connection.statement("SELECT error_type, count FROM batch_errors WHERE batch_id = ?").bind(.text(id)).firstRow {
            "\($0.text(0))=\($0.int(1))"
        }
        #expect(summary == "processing_error=3")
    }

    /// At start, leftovers of a crash go: an unowned upload blob and a staged
    /// create. Alone on SQLite, every one; on PostgreSQL, where another node may be
    /// writing them right now, only those older than an hour.
    @Test(arguments: StoreBackend.allCases) func startRemovesLeftoversOnlyWhereNoOtherNodeWrites(_ backend: StoreBackend) throws {
        let fixture = try Fixture(backend)
        let blobs = fixture.store.folder + "/blobs"
        try FileManager.default.createDirectory(atPath: blobs, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: blobs + "/young.blob", contents: Data([1]))
        let now = Timestamp.now().milliseconds
        try fixture.connection.execute(
            """
            INSERT INTO batches (id, tenant_id, name, status, created_at, updated_at)
                VALUES ('batch-staged-now', '\(StagingTenant.id)', 'x', 'accumulating', \(now), \(now)),
                       ('batch-staged-old', '\(StagingTenant.id)', 'x', 'accumulating', \(now - 7_200_000), \(now - 7_200_000))
            """)
        var configuration = Scheduler.Configuration()
        configuration.blobDirectory = blobs
        let running = Scheduler(
            configuration: configuration, database: fixture.database, catalog: ProcessorCatalog([NoopProcessor()]), logger: Logger(label: "test"))
        try running.start()
        #expect(running.stop(grace: 5))
        let staged = try fixture.connection.statement("SELECT id FROM batches WHERE tenant_id = ? ORDER BY id").bind(.text(StagingTenant.id))
            .rows { $0.text(0) }
        let blobLeft = FileManager.default.fileExists(atPath: blobs + "/young.blob")
        switch backend {
        case .sqlite:
            #expect(staged.isEmpty && !blobLeft)
        case .postgres:
            #expect(staged == ["batch-staged-now"] && blobLeft)
        }
    }

    @Test(arguments: StoreBackend.allCases) func stopsWithinTheGracePeriod(_ backend: StoreBackend) throws {
        let fixture = try Fixture(backend)
        let running = scheduler(fixture, workers: 3)
        try running.start()
        #expect(running.stop(grace: 5))
    }
}
