import TestSupport
import Testing

@testable import BatchModel
@testable import BatchStore

/// The SQL that moves batches and items does what the state machines say, for
/// every state: the machines are the one source of truth, and these tests fail
/// when a statement and its machine part ways.
@Suite struct StateSQLTests {
    /// A batch of one item per item state, each leased to `w` at attempt 1 (the
    /// lease fence matches), the batch forced into `batchState`.
    func seed(_ store: OpenStore, batchState: BatchState = .running) throws -> (any StoreConnection, String, [ItemState: String]) {
        let connection = store.connection
        let tenant = try TenantRecords(connection).create(name: "acme")
        let batch = NewBatch(
            name: "b", processor: "noop", configuration: BatchConfiguration(),
            items: NewItems(ItemState.allCases.indices.map { NewItem(content: [1], row: $0 + 1) }))
        guard case .created(let row, _) = try BatchRecords(connection).create(batch, tenantID: tenant.id, render: { _ in [] }) else {
            throw StoreError.notFound("batch")
        }
        let ids = try connection.statement("SELECT id FROM items WHERE batch_id = ? ORDER BY seq").bind(.text(row.id)).rows { $0.text(0) }
        var byState: [ItemState: String] = [:]
        for (state, id) in zip(ItemState.allCases, ids) {
            try connection.statement("UPDATE items SET status = ?, lease_owner = 'w', attempt = 1 WHERE id = ?").bind(
                .text(state.rawValue), .text(id)
            ).run()
            byState[state] = id
        }
        try connection.statement("UPDATE batches SET status = ? WHERE id = ?").bind(.text(batchState.rawValue), .text(row.id)).run()
        return (connection, row.id, byState)
    }

    func states(_ connection: any StoreConnection, _ items: [ItemState: String]) throws -> [ItemState: ItemState] {
        var now: [ItemState: ItemState] = [:]
        for (was, id) in items {
            now[was] =
                try connection.statement("SELECT status FROM items WHERE id = ?").bind(.text(id)).firstRow { ItemState(rawValue: $0.text(0)) } ?? nil
        }
        return now
    }

    /// What the machine says `event` does to an item in each state.
    func expected(_ event: ItemEvent) -> [ItemState: ItemState] {
        Dictionary(uniqueKeysWithValues: ItemState.allCases.map { ($0, $0.applying(event) ?? $0) })
    }

    @Test(arguments: StoreBackend.allCases, [ItemEvent.claim, .cancel, .retry, .expire])
    func batchWideItemMovesFollowTheMachine(_ backend: StoreBackend, _ event: ItemEvent) throws {
        let store = try backend.open()
        let (connection, batchID, items) = try seed(store)
        let statement: any StoreStatement
        switch event {
        case .claim:
            statement = try connection.statement(ItemLeases.claimItemsSQL).bind(
                .text("w2"), .integer(0), .integer(0), .text(batchID), .int(100), .int(0))
        case .cancel: statement = try connection.statement(BatchRecords.cancelItemsSQL).bind(.integer(0), .text(batchID))
        case .retry: statement = try connection.statement(BatchRecords.retryItemsSQL).bind(.text(batchID))
        case .expire: statement = try connection.statement(BatchMaintenance.expireItemsSQL).bind(.integer(0), .text(batchID))
        default: return
        }
        if event == .claim { _ = try statement.rows { _ in () } } else { try statement.run() }
        #expect(try states(connection, items) == expected(event))
    }

    @Test(arguments: StoreBackend.allCases, [ItemEvent.succeed, .fail, .rescue])
    func leasedItemMovesFollowTheMachine(_ backend: StoreBackend, _ event: ItemEvent) throws {
        let store = try backend.open()
        let (connection, _, items) = try seed(store)
        for id in items.values {
            switch event {
            case .succeed, .fail:
                var values: [SQLiteValue] = [.text(ItemState.target(of: event).rawValue)] + Array(repeating: .null, count: 11)
                values += [.text(id), .text("w"), .int(1)]
                // completed_at, duration_ms; cost and tokens are NOT NULL.
                for index in [1, 2, 8, 9, 10] { values[index] = .integer(0) }
                try connection.statement(ItemLeases.completeSQL).bind(values).run()
            default:
                try connection.statement(ItemLeases.releaseSQL).bind(.text(id), .text("w"), .int(1)).run()
            }
        }
        #expect(try states(connection, items) == expected(event))
    }

    @Test(arguments: StoreBackend.allCases) func unfinishedItemsFailOrReturnAsTheMachineSays(_ backend: StoreBackend) throws {
        for (sql, event) in [(ItemLeases.returnUnfinishedSQL, ItemEvent.rescue), (ItemLeases.retryAfterCrashSQL, .rescue)] {
            let store = try backend.open()
            let (connection, _, items) = try seed(store)
            for id in items.values {
                if sql == ItemLeases.returnUnfinishedSQL {
                    try connection.statement(sql).bind(.null, .text(id)).run()
                } else {
                    try connection.statement(sql).bind(.text(id), .text("w"), .int(1)).run()
                }
            }
            #expect(try states(connection, items) == expected(event))
        }
        let store = try backend.open()
        let (connection, _, items) = try seed(store)
        for id in items.values {
            try connection.statement(ItemLeases.failUnfinishedSQL).bind(.integer(0), .text("gone"), .null, .null, .text(id)).run()
        }
        #expect(try states(connection, items) == expected(.fail))
    }

    @Test(arguments: StoreBackend.allCases, BatchState.allCases)
    func aClaimTakesOnlyFromRunnableBatchesAndStartsThem(_ backend: StoreBackend, _ state: BatchState) throws {
        let store = try backend.open()
        let (connection, batchID, _) = try seed(store, batchState: state)
        let claimed = try ItemLeases(connection).claim(owner: "w2", limit: 10, leaseSeconds: 60)
        #expect(claimed.isEmpty == !state.isRunnable)
        let after = try #require(try BatchRecords(connection).find(id: batchID))
        #expect(after.state == (claimed.isEmpty ? state : state.starting() ?? state))
    }

    @Test(arguments: StoreBackend.allCases, BatchState.allCases)
    func aBatchWithNothingLeftFinishesAsTheMachineSays(_ backend: StoreBackend, _ state: BatchState) throws {
        let store = try backend.open()
        let (connection, batchID, _) = try seed(store, batchState: state)
        try connection.statement("UPDATE batches SET n_pending = 0, n_processing = 0 WHERE id = ?").bind(.text(batchID)).run()
        connection.changedBatches = [:]
        try BatchRecords(connection).finishIfDone(batchID: batchID)
        #expect(connection.changedBatches.keys.map(\.batchID) == (state.finishing() != nil ? [batchID] : []))
        #expect(try BatchRecords(connection).find(id: batchID)?.state == state.finishing() ?? state)
    }

    /// No index names an item's state or lease (`LeaseChecks`): claims and
    /// rescues find items by the `(batch_id, seq)` key, due checks by their time.
    @Test func claimsAndRescuesFindRowsByKey() throws {
        let store = try TemporaryDatabase()
        let connection = try store.database.connect()
        func plan(_ sql: String) throws -> String {
            try connection.statement("EXPLAIN QUERY PLAN " + sql).rows { $0.text(3) }.joined(separator: "\n")
        }
        #expect(
            try plan("SELECT id FROM items WHERE batch_id = 'b' AND \(StateSQL.itemsMovedBy(.claim)) AND seq >= 3 ORDER BY seq LIMIT 5").contains(
                "(batch_id=? AND seq>?)"))
        #expect(try plan(ItemLeases.leasedInRangeSQL.replacingOccurrences(of: "?1", with: "'b'")).contains("(batch_id=? AND seq>? AND seq<?)"))
        #expect(try plan(LeaseChecks.dueSQL).contains("lease_checks_due"))
        #expect(try plan(ItemLeases.candidateSQL.replacingOccurrences(of: "?1", with: "0")).contains("batches_runnable"))
        let indexed =
            try connection.statement("SELECT group_concat(sql, ' ') FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'items'")
            .firstRow { $0.text(0) } ?? ""
        #expect(!indexed.contains("status") && !indexed.contains("lease_until"), "\(indexed)")
    }
}
