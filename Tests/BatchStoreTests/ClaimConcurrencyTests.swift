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
        let failures = Mutex<[String]>([])
        let seen = Mutex<Set<String>>([])
        let done = DispatchGroup()
        let connect = store.connect
        for worker in 0..<4 {
            done.enter()
            Thread.detachNewThread {
                defer { done.leave() }
                do {
                    let connection = try connect()
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
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
            }
        }
        done.wait()
        #expect(failures.withLock { $0 }.isEmpty, "\(failures.withLock { $0 })")
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
}
