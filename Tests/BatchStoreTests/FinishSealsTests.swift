import Foundation
import Synchronization
import TestSupport
import Testing

@testable import BatchModel
@testable import BatchStore

/// The `?state=finished` cursor: a reader that seals and reads after its last
/// seal gets every finished item exactly once, in the order it found them
/// finished, however the items finish around it; on both stores.
@Suite struct FinishSealsTests {
    /// A running batch of `count` pending items; its id.
    func batch(_ connection: any StoreConnection, count: Int) throws -> String {
        let tenant = try TenantRecords(connection).create(name: "acme")
        let batch = NewBatch(
            name: "b", processor: "noop", configuration: BatchConfiguration(), items: NewItems((1...count).map { NewItem(content: [1], row: $0) }))
        guard case .created(let row, _) = try BatchRecords(connection).create(batch, tenantID: tenant.id, render: { _ in [] }) else {
            throw StoreError.notFound("batch")
        }
        try connection.statement("UPDATE batches SET status = 'running' WHERE id = ?").bind(.text(row.id)).run()
        return row.id
    }

    /// Puts the items of `seqs` in `state` in one transaction.
    static func finish(_ connection: any StoreConnection, _ batchID: String, _ seqs: [Int], _ state: ItemState = .succeeded) throws {
        try connection.transaction {
            () throws(StoreError) in
            for seq in seqs {
                try connection.statement("UPDATE items SET status = ? WHERE batch_id = ? AND seq = ?").bind(
                    .text(state.rawValue), .text(batchID), .int(seq)
                ).run()
            }
        }
    }

    /// Seals, then reads every sealed item after `after` in pages of `page`; the seal and the seqs read.
    static func read(_ connection: any StoreConnection, _ batchID: String, after: Int, page: Int = 3) throws -> (seal: Int, seqs: [Int]) {
        let seals = FinishSeals(connection)
        let seal = try seals.seal(batchID: batchID)
        var cursor = (seal: after, seq: Int.max)
        var seqs: [Int] = []
        while true {
            let rows = try seals.rows(batchID: batchID, after: cursor, through: seal, limit: page)
            seqs += rows.map(\.row.seq)
            guard let last = rows.last, rows.count == page else { break }
            cursor = (last.seal, last.row.seq)
        }
        return (seal, seqs)
    }

    @Test(arguments: StoreBackend.allCases) func itemsComeOnceInTheOrderTheyWereFoundFinished(_ backend: StoreBackend) throws {
        let store = try backend.open()
        let connection = store.connection
        let id = try batch(connection, count: 10)
        #expect(try Self.read(connection, id, after: 0).seqs.isEmpty)
        #expect(try FinishSeals(connection).current(batchID: id) == 0, "a seal with nothing to seal writes nothing")

        try Self.finish(connection, id, [7, 3, 9])
        let first = try Self.read(connection, id, after: 0)
        #expect(first.seal == 1 && first.seqs == [3, 7, 9])
        try Self.finish(connection, id, [1, 2], .failed)
        try Self.finish(connection, id, [10], .cancelled)
        let second = try Self.read(connection, id, after: first.seal)
        #expect(second.seal == 2 && second.seqs == [1, 2, 10])
        // Nothing new: the same seal, nothing after it; an old cursor reads again from there.
        #expect(try Self.read(connection, id, after: second.seal) == (2, []))
        #expect(try Self.read(connection, id, after: first.seal).seqs == [1, 2, 10])
        #expect(try Self.read(connection, id, after: 0).seqs == [3, 7, 9, 1, 2, 10])

        // A retry takes the failed items' seals away; finished again, they come again.
        try connection.statement(BatchRecords.retryItemsSQL).bind(.text(id)).run()
        #expect(try Self.read(connection, id, after: second.seal) == (2, []))
        #expect(try Self.read(connection, id, after: 0).seqs == [3, 7, 9, 10])
        try Self.finish(connection, id, [2, 1])
        #expect(try Self.read(connection, id, after: second.seal) == (3, [1, 2]))
    }

    /// Items finish on other connections, a few per transaction in random order,
    /// while a reader seals and reads; it gets each of them exactly once.
    @Test(arguments: StoreBackend.allCases) func aReaderFollowingTheCursorGetsEachItemOnceWhileItemsFinish(_ backend: StoreBackend) throws {
        let store = try backend.open()
        let count = 600
        let id = try batch(store.connection, count: count)
        let order = Array(1...count).shuffled()
        let writers = 3
        let seen = Mutex<(seqs: [Int], rounds: Int)>(([], 0))
        // Threads 0..<writers finish the items, a few a transaction; the last one reads.
        let failures = ClaimConcurrencyTests.onThreads(writers + 1, connect: store.connect) { index, connection in
            guard index == writers else {
                let mine = order.enumerated().filter { $0.offset % writers == index }.map(\.element)
                for start in stride(from: 0, to: mine.count, by: 4) {
                    try Self.finish(connection, id, Array(mine[start..<min(start + 4, mine.count)]))
                }
                return
            }
            var cursor = 0
            while seen.withLock({ $0.seqs.count < count && $0.rounds < 100_000 }) {
                let (seal, seqs) = try Self.read(connection, id, after: cursor, page: 7)
                seen.withLock {
                    $0.seqs += seqs
                    $0.rounds += 1
                }
                cursor = seal
            }
        }
        let (seqs, rounds) = seen.withLock { $0 }
        #expect(failures.isEmpty, "\(failures)")
        #expect(seqs.count == count && Set(seqs).count == count, "\(seqs.count) read, \(Set(seqs).count) distinct, in \(rounds) rounds")
    }
}
