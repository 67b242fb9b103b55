import Foundation
import Synchronization
import TestSupport
import Testing

@testable import BatchModel
@testable import BatchStore

/// Several claimers at once, each on its own connection (as scheduler threads,
/// and on PostgreSQL several nodes, are): no item is claimed twice, a batch's
/// `max_concurrent` is never exceeded, and every item ends succeeded once.
@Suite struct ClaimConcurrencyTests {
    @Test(arguments: StoreBackend.allCases) func concurrentClaimersStayExact(_ backend: StoreBackend) throws {
        let store = try backend.open()
        let tenant = try TenantRecords(store.connection).create(name: "acme")
        var configuration = BatchConfiguration()
        configuration.maxConcurrent = 3
        var batchIDs: [String] = []
        for _ in 0..<4 {
            let batch = NewBatch(
                name: "b", processor: "noop", configuration: configuration, items: NewItems((1...60).map { NewItem(content: [1], row: $0) }))
            guard case .created(let row, _) = try BatchRecords(store.connection).create(batch, tenantID: tenant.id, render: { _ in [] }) else {
                throw StoreError.notFound("batch")
            }
            batchIDs.append(row.id)
        }
        let claimedTwice = Atomic<Int>(0)
        let overLimit = Atomic<Int>(0)
        let seen = Mutex<Set<String>>([])
        let failures = Self.onThreads(4, connect: store.connect) { worker, connection in
            let leases = ItemLeases(connection)
            var idle = 0
            while idle < 20 {
                let claimed = try leases.claim(owner: "w\(worker)", limit: 2, leaseSeconds: 60)
                if claimed.isEmpty {
                    idle += 1
                    usleep(2000)
                    continue
                }
                idle = 0
                for item in claimed where !seen.withLock({ $0.insert(item.id).inserted }) { claimedTwice.add(1, ordering: .relaxed) }
                // What the store holds as processing, per batch, while these are held.
                let running = try connection.statement(
                    "SELECT batch_id, count(*) FROM items WHERE status = 'processing' GROUP BY batch_id"
                ).rows { $0.int(1) }
                if running.contains(where: { $0 > 3 }) { overLimit.add(1, ordering: .relaxed) }
                let completions = claimed.map {
                    ItemCompletion(
                        item: $0, outcome: .succeeded(result: nil, mediaType: nil, usage: .none), startedAt: .now(), durationMilliseconds: 1)
                }
                #expect(try leases.complete(completions) == claimed.count)
            }
        }
        #expect(failures.isEmpty, "\(failures)")
        #expect(claimedTwice.load(ordering: .relaxed) == 0)
        #expect(overLimit.load(ordering: .relaxed) == 0)
        #expect(seen.withLock { $0.count } == 240)
        for id in batchIDs {
            let row = try #require(try BatchRecords(store.connection).find(id: id))
            #expect(row.state == .completed && row.succeeded == 60 && row.pending == 0 && row.processing == 0, "\(row)")
        }
        let attempts = try store.connection.statement("SELECT max(attempt), min(attempt) FROM items").firstRow { [$0.int(0), $0.int(1)] }
        #expect(attempts == [1, 1])
    }

    /// Expired leases rescued by several connections at once (every node rescues
    /// on PostgreSQL), beside crash journals naming the same items: each item is
    /// returned to pending once, and the batch counts it back once.
    @Test(arguments: StoreBackend.allCases) func concurrentRescuersReturnEachItemOnce(_ backend: StoreBackend) throws {
        let store = try backend.open()
        let tenant = try TenantRecords(store.connection).create(name: "acme")
        var configuration = BatchConfiguration()
        configuration.maxConcurrent = 200
        let batch = NewBatch(
            name: "b", processor: "noop", configuration: configuration, items: NewItems((1...200).map { NewItem(content: [1], row: $0) }))
        guard case .created(let row, _) = try BatchRecords(store.connection).create(batch, tenantID: tenant.id, render: { _ in [] }) else {
            throw StoreError.notFound("batch")
        }
        let now = Timestamp.now()
        let claimed = try ItemLeases(store.connection).claim(owner: "dead", limit: 200, leaseSeconds: 1, now: now)
        #expect(claimed.count == 200)
        let later = Timestamp(milliseconds: now.milliseconds + 5000)
        let returned = Atomic<Int>(0)
        let failures = Self.onThreads(4, connect: store.connect) { worker, connection in
            let leases = ItemLeases(connection)
            if worker < 2 {
                while true {
                    let (rescued, failed) = try leases.rescueExpired(maxAttempts: 5, limit: 10, now: later)
                    returned.add(rescued + failed, ordering: .relaxed)
                    if rescued + failed == 0 { break }
                }
            } else {
                for chunk in stride(from: 0, to: 200, by: 10) {
                    let (retried, failed) = try leases.recordServerCrash(itemIDs: claimed[chunk..<chunk + 10].map(\.id), now: later)
                    returned.add(retried + failed, ordering: .relaxed)
                }
            }
        }
        #expect(failures.isEmpty, "\(failures)")
        #expect(returned.load(ordering: .relaxed) == 200)
        let after = try #require(try BatchRecords(store.connection).find(id: row.id))
        #expect(after.pending == 200 && after.processing == 0, "\(after)")
        let pending = try store.connection.statement("SELECT count(*) FROM items WHERE status = 'pending'").firstRow { $0.int(0) }
        #expect(pending == 200)
    }

    /// A pause and a cancel of the same batch at once (two nodes, or two clients):
    /// whichever comes first, the batch ends cancelled with every item cancelled;
    /// a pause that lost the race is refused whole, never written over the cancel.
    @Test(arguments: StoreBackend.allCases) func concurrentActionsNeverOverwriteEachOther(_ backend: StoreBackend) throws {
        let store = try backend.open()
        let tenant = try TenantRecords(store.connection).create(name: "acme")
        for _ in 0..<15 {
            let batch = NewBatch(name: "b", processor: "noop", items: NewItems((1...20).map { NewItem(content: [1], row: $0) }))
            guard case .created(let row, _) = try BatchRecords(store.connection).create(batch, tenantID: tenant.id, render: { _ in [] }) else {
                throw StoreError.notFound("batch")
            }
            let failures = Self.onThreads(2, connect: store.connect) { worker, connection in
                do {
                    _ = try BatchRecords(connection).apply(worker == 0 ? .pause : .cancel, batchID: row.id, tenantID: tenant.id)
                } catch StoreError.busy {
                    // Refused: the other action moved the batch first.
                }
            }
            #expect(failures.isEmpty, "\(failures)")
            let after = try #require(try BatchRecords(store.connection).find(id: row.id))
            #expect(after.state == .cancelled && after.cancelled == 20 && after.pending == 0, "\(after.state) \(after.cancelled)")
        }
    }

    /// Runs `body` on `count` threads at once, each with its own connection (as
    /// scheduler threads and nodes have); the errors they threw.
    static func onThreads(
        _ count: Int, connect: @escaping @Sendable () throws -> any StoreConnection,
        _ body: @escaping @Sendable (Int, any StoreConnection) throws -> Void
    ) -> [String] {
        let failures = Mutex<[String]>([])
        let done = DispatchGroup()
        for worker in 0..<count {
            done.enter()
            Thread.detachNewThread {
                defer { done.leave() }
                do {
                    try body(worker, try connect())
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
            }
        }
        done.wait()
        return failures.withLock { $0 }
    }
}
