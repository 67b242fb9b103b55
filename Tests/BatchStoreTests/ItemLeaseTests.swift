import TestSupport
import Testing

@testable import BatchModel
@testable import BatchStore

@Suite struct ItemLeaseTests {
    /// A tenant with one queued batch of `items` noop items.
    func seed(
        _ connection: any StoreConnection, tenant: String = "acme", items: Int, maxConcurrent: Int = 5,
        priority: BatchConfiguration.Priority = .normal
    ) throws -> (Tenant, BatchRow) {
        let owner = try TenantRecords(connection).find(idOrName: tenant) ?? TenantRecords(connection).create(name: tenant)
        var configuration = BatchConfiguration()
        configuration.maxConcurrent = maxConcurrent
        configuration.priority = priority
        let batch = NewBatch(
            name: "b", processor: "noop", configuration: configuration,
            items: NewItems((1...items).map { NewItem(content: Array("item \($0)".utf8), filename: "f\($0).txt", row: $0) }))
        guard case .created(let row, _) = try BatchRecords(connection).create(batch, tenantID: owner.id, render: { _ in [] }) else {
            throw StoreError.notFound("created batch")
        }
        return (owner, row)
    }

    /// A store with one batch of `items` items, all claimed by `w1`.
    func claimedBatch(_ backend: StoreBackend, items: Int) throws -> (store: OpenStore, tenant: Tenant, row: BatchRow, claimed: [ClaimedItem]) {
        let store = try backend.open()
        let (tenant, row) = try seed(store.connection, items: items)
        return (store, tenant, row, try ItemLeases(store.connection).claim(owner: "w1", limit: items, leaseSeconds: 60))
    }

    func succeed(_ items: [ClaimedItem]) -> [ItemCompletion] {
        items.map {
            ItemCompletion(
                item: $0, outcome: .succeeded(result: nil, mediaType: nil, usage: Usage(costCents: 2, inputTokens: 10, outputTokens: 5)),
                startedAt: .now(), durationMilliseconds: 100)
        }
    }

    func batch(_ connection: any StoreConnection, _ id: String) throws -> BatchRow {
        try #require(try BatchRecords(connection).find(id: id))
    }

    @Test(arguments: StoreBackend.allCases) func claimsRespectMaxConcurrentAndOrder(_ backend: StoreBackend) throws {
        let store = try backend.open()
        let connection = store.connection
        let (_, row) = try seed(connection, items: 10, maxConcurrent: 3)
        let leases = ItemLeases(connection)
        let first = try leases.claim(owner: "w1", limit: 32, leaseSeconds: 60)
        #expect(first.map(\.seq) == [1, 2, 3])
        #expect(first.allSatisfy { $0.attempt == 1 && $0.leaseOwner == "w1" })
        #expect(try leases.claim(owner: "w2", limit: 32, leaseSeconds: 60).isEmpty)
        let running = try batch(connection, row.id)
        #expect(running.state == .running)
        #expect(running.pending == 7 && running.processing == 3)
        #expect(running.startedAt != nil)
        #expect(try leases.complete(succeed(first)) == 3)
        #expect(try leases.claim(owner: "w2", limit: 2, leaseSeconds: 60).map(\.seq) == [4, 5])
    }

    /// Claims start at the batch's cursor (past what was claimed), an item that
    /// goes back to pending is claimed next, and a cursor past pending items (it
    /// is only a hint) costs a rescan, never an item.
    @Test(arguments: StoreBackend.allCases) func theClaimCursorSkipsClaimedItemsAndLosesNone(_ backend: StoreBackend) throws {
        let store = try backend.open()
        let connection = store.connection
        let (_, row) = try seed(connection, items: 10, maxConcurrent: 10)
        let leases = ItemLeases(connection)
        let cursor = { () throws(StoreError) -> Int64? in
            try connection.statement("SELECT claim_from FROM batches WHERE id = ?").bind(.text(row.id)).firstRow { $0.int(0) }
        }
        let first = try leases.claim(owner: "w1", limit: 3, leaseSeconds: 60)
        #expect(first.map(\.seq) == [1, 2, 3])
        #expect(try cursor() == 4)
        try leases.release([first[1]])
        #expect(try cursor() == 2)
        #expect(try leases.claim(owner: "w1", limit: 2, leaseSeconds: 60).map(\.seq) == [2, 4])
        #expect(try cursor() == 5)
        try connection.statement("UPDATE batches SET claim_from = 100 WHERE id = ?").bind(.text(row.id)).run()
        #expect(try leases.claim(owner: "w1", limit: 32, leaseSeconds: 60).map(\.seq) == [5, 6, 7, 8, 9, 10])
        #expect(try cursor() == 11)
        #expect(try batch(connection, row.id).pending == 0)
    }

    /// An ingested file's media record is stored once per content in its
    /// collection (a second copy points at the first, marked duplicate), and the
    /// batch counts its media by type.
    @Test(arguments: StoreBackend.allCases) func mediaIsRecordedOncePerContentAndCounted(_ backend: StoreBackend) throws {
        let (store, tenant, row, claimed) = try claimedBatch(backend, items: 3)
        let connection = store.connection
        let leases = ItemLeases(connection)
        let shas = ["aa", "aa", "bb"]
        let completions = zip(claimed, shas).map { item, sha in
            ItemCompletion(
                item: item,
                outcome: .succeeded(
                    result: .object([:]), mediaType: "document", usage: .none,
                    media: NewMedia(mediaType: "document", mime: "text/plain", sizeBytes: 10, sha256: sha, metadata: ["words": .integer(2)])),
                startedAt: .now(), durationMilliseconds: 5)
        }
        #expect(try leases.complete(completions) == 3)
        let media = try MediaRecords(connection).list(tenantID: tenant.id, collection: nil, offset: 0, limit: 10)
        #expect(media.total == 2 && media.rows.map(\.sha256).sorted() == ["aa", "bb"])
        let results = try connection.statement("SELECT result FROM items WHERE batch_id = ? ORDER BY seq").bind(.text(row.id)).rows { $0.text(0) }
        #expect(results.filter { $0.contains("\"duplicate\":true") }.count == 1, "\(results)")
        let counts = try connection.statement("SELECT media_type, count, bytes FROM batch_media_counts WHERE batch_id = ?").bind(.text(row.id))
            .rows { "\($0.text(0)) \($0.int(1)) \($0.int(2))" }
        #expect(counts == ["document 2 20"])
    }

    @Test(arguments: StoreBackend.allCases) func resultsCountOnceAndOnlyUnderTheLease(_ backend: StoreBackend) throws {
        let (store, tenant, row, claimed) = try claimedBatch(backend, items: 3)
        let connection = store.connection
        let leases = ItemLeases(connection)
        #expect(try leases.complete(succeed([claimed[0]])) == 1)
        // The same finish again, and a finish from a worker that does not hold the lease.
        #expect(try leases.complete(succeed([claimed[0]])) == 0)
        var stranger = claimed[1]
        stranger.leaseOwner = "w9"
        #expect(try leases.complete(succeed([stranger])) == 0)
        var stale = claimed[1]
        stale.attempt = 0
        #expect(try leases.complete(succeed([stale])) == 0)
        // The same result twice in one call counts once.
        #expect(try leases.complete(succeed([claimed[1], claimed[1]])) == 1)
        // Cancelled while running: the late result is fenced off.
        _ = try BatchRecords(connection).apply(.cancel, batchID: row.id, tenantID: tenant.id)
        #expect(try leases.complete(succeed([claimed[2]])) == 0)
        let final = try batch(connection, row.id)
        #expect(final.succeeded == 2 && final.cancelled == 1 && final.processing == 0 && final.pending == 0)
        #expect(final.state == .cancelled)
        let sums = try connection.statement("SELECT item_time_ms, cost_cents, input_tokens, output_tokens FROM batches WHERE id = ?")
            .bind(.text(row.id)).firstRow { [$0.int(0), $0.int(1), $0.int(2), $0.int(3)] }
        #expect(sums == [200, 4, 20, 10])
    }

    @Test(arguments: StoreBackend.allCases) func lastResultCompletesTheBatchAndErrorsAreSummarized(_ backend: StoreBackend) throws {
        let store = try backend.open()
        let connection = store.connection
        let (_, row) = try seed(connection, items: 14, maxConcurrent: 20)
        let leases = ItemLeases(connection)
        let claimed = try leases.claim(owner: "w1", limit: 20, leaseSeconds: 60)
        let failures = claimed.dropFirst(2).map {
            ItemCompletion(
                item: $0, outcome: .failed(errorType: "format_error", message: "bad", details: nil), startedAt: .now(), durationMilliseconds: 1)
        }
        #expect(try leases.complete(succeed(Array(claimed.prefix(2))) + failures) == 14)
        let done = try batch(connection, row.id)
        #expect(done.state == .completed)
        #expect(done.completedAt != nil)
        #expect(done.succeeded == 2 && done.failed == 12)
        let summary = try ItemRecords(connection).errorSummary(batchID: row.id).first { $0.errorType == "format_error" }
        #expect(summary?.count == 12)
        #expect(summary?.affectedFiles.count == ItemLeases.affectedFilesCap)
    }

    @Test(arguments: StoreBackend.allCases) func expiredLeasesAreRescuedThenFailed(_ backend: StoreBackend) throws {
        let store = try backend.open()
        let connection = store.connection
        let (_, row) = try seed(connection, items: 1)
        let leases = ItemLeases(connection)
        let start = Timestamp(milliseconds: 1_000_000)
        var now = start
        for attempt in 1...2 {
            let claimed = try leases.claim(owner: "w\(attempt)", limit: 1, leaseSeconds: 10, now: now)
            #expect(claimed.first?.attempt == attempt)
            now.milliseconds += 11_000
            #expect(try leases.rescueExpired(maxAttempts: 2, now: now) == (attempt < 2 ? (1, 0) : (0, 1)))
            // The dead worker's late result does not count.
            #expect(try leases.complete(succeed(claimed), now: now) == 0)
        }
        let final = try batch(connection, row.id)
        #expect(final.failed == 1 && final.state == .completed)
    }

    @Test func leaseChecksCoverRunsOfConsecutiveItems() {
        #expect(LeaseChecks.runs(of: []) == [])
        #expect(LeaseChecks.runs(of: [4]) == [4...4])
        #expect(LeaseChecks.runs(of: [8, 1, 2, 3, 7, 3]) == [1...3, 7...8])
        #expect(LeaseChecks.runs(of: [5, 90_000, 90_001]) == [5...5, 90_000...90_001])
    }

    func claimFrom(_ connection: any StoreConnection, _ id: String) throws -> Int64? {
        try connection.statement("SELECT claim_from FROM batches WHERE id = ?").bind(.text(id)).firstRow { $0.int(0) }
    }

    func leaseChecks(_ connection: any StoreConnection) throws -> [[Int64]] {
        try connection.statement("SELECT first_seq, last_seq, check_at FROM lease_checks ORDER BY first_seq, check_at").rows {
            [$0.int(0), $0.int(1), $0.int(2)]
        }
    }

    /// A renewed lease is not rescued when its first end passes: the check moves to
    /// the new end, the item is rescued after it, and a check with nothing leased
    /// left in its range goes.
    @Test(arguments: StoreBackend.allCases) func renewedLeasesMoveTheirCheck(_ backend: StoreBackend) throws {
        let store = try backend.open()
        let connection = store.connection
        let (_, row) = try seed(connection, items: 4)
        let leases = ItemLeases(connection)
        let start = Timestamp(milliseconds: 1_000_000)
        let claimed = try leases.claim(owner: "w1", limit: 4, leaseSeconds: 10, now: start)
        #expect(claimed.map(\.seq) == [1, 2, 3, 4])
        #expect(try leaseChecks(connection) == [[1, 4, 1_010_000]])
        #expect(try leases.complete(succeed([claimed[0], claimed[3]]), now: start) == 2)
        #expect(try leases.renew(claimed[2], leaseSeconds: 30, now: start))
        // Past the first end: item 2 expired, item 3 renewed until 1,030,000.
        #expect(try leases.rescueExpired(maxAttempts: 3, now: Timestamp(milliseconds: 1_011_000)) == (1, 0))
        #expect(try leaseChecks(connection) == [[1, 4, 1_030_000]])
        #expect(try leases.rescueExpired(maxAttempts: 3, now: Timestamp(milliseconds: 1_029_000)) == (0, 0))
        #expect(try leases.rescueExpired(maxAttempts: 3, now: Timestamp(milliseconds: 1_031_000)) == (1, 0))
        #expect(try leaseChecks(connection).isEmpty)
        let after = try batch(connection, row.id)
        #expect(after.pending == 2 && after.processing == 0 && after.succeeded == 2, "\(after)")
        // Both come back, lowest first, each with a check of its own run.
        let again = try leases.claim(owner: "w2", limit: 4, leaseSeconds: 10, now: Timestamp(milliseconds: 1_032_000))
        #expect(again.map(\.seq) == [2, 3])
        #expect(try leaseChecks(connection) == [[2, 3, 1_042_000]])
        #expect(try leases.complete(succeed(again), now: Timestamp(milliseconds: 1_033_000)) == 2)
        #expect(try leases.rescueExpired(maxAttempts: 3, now: Timestamp(milliseconds: 1_050_000)) == (0, 0))
        #expect(try leaseChecks(connection).isEmpty)
        #expect(try batch(connection, row.id).state == .completed)
    }

    /// No index lists pending items: an item handed back moves the claim cursor
    /// back to it, so the next claim takes it first and then goes on from the
    /// items never claimed, not from the batch's start.
    @Test(arguments: StoreBackend.allCases) func itemsHandedBackAreClaimedFirstThenTheRest(_ backend: StoreBackend) throws {
        let store = try backend.open()
        let connection = store.connection
        let (_, row) = try seed(connection, items: 20, maxConcurrent: 20)
        let leases = ItemLeases(connection)
        let start = Timestamp(milliseconds: 1_000_000)
        let first = try leases.claim(owner: "w1", limit: 10, leaseSeconds: 10, now: start)
        #expect(first.map(\.seq) == Array(1...10))
        try leases.release([first[6]], now: start)
        #expect(try leases.complete(succeed(first.filter { $0.seq != 7 && $0.seq != 5 }), now: start) == 8)
        #expect(try claimFrom(connection, row.id) == 7)
        #expect(try leases.rescueExpired(maxAttempts: 3, now: Timestamp(milliseconds: 1_011_000)) == (1, 0))
        #expect(try claimFrom(connection, row.id) == 5)
        let next = try leases.claim(owner: "w2", limit: 4, leaseSeconds: 10, now: Timestamp(milliseconds: 1_012_000))
        #expect(next.map(\.seq) == [5, 7, 11, 12])
        #expect(try claimFrom(connection, row.id) == 13)
        #expect(try leaseChecks(connection).filter { $0[2] == 1_022_000 }.map { [$0[0], $0[1]] } == [[5, 5], [7, 7], [11, 12]])
    }

    /// An idle worker's claim looks before it claims: nothing runnable gives
    /// nothing, and a batch that became runnable is claimed as by any claim.
    @Test(arguments: StoreBackend.allCases) func anIdleWorkersClaimLooksFirst(_ backend: StoreBackend) throws {
        let store = try backend.open()
        let connection = store.connection
        let leases = ItemLeases(connection)
        let sizes = ClaimSizes(otherwise: 8)
        #expect(try leases.claim(owner: "w1", leaseSeconds: 60, sizes: sizes, lookFirst: true).isEmpty)
        let (_, row) = try seed(connection, items: 3)
        let claimed = try leases.claim(owner: "w1", leaseSeconds: 60, sizes: sizes, lookFirst: true)
        #expect(claimed.map(\.seq) == [1, 2, 3])
        #expect(try batch(connection, row.id).processing == 3)
        #expect(try leases.claim(owner: "w1", leaseSeconds: 60, sizes: sizes, lookFirst: true).isEmpty)
    }

    @Test(arguments: StoreBackend.allCases) func releasedItemsGoBackUntouched(_ backend: StoreBackend) throws {
        let (store, _, row, claimed) = try claimedBatch(backend, items: 3)
        let connection = store.connection
        let leases = ItemLeases(connection)
        try leases.release(claimed)
        let back = try batch(connection, row.id)
        #expect(back.pending == 3 && back.processing == 0)
        #expect(try leases.claim(owner: "w2", limit: 3, leaseSeconds: 60).map(\.attempt) == [1, 1, 1])
    }

    @Test(arguments: StoreBackend.allCases) func pausedBatchesAreNotClaimed(_ backend: StoreBackend) throws {
        let store = try backend.open()
        let connection = store.connection
        let (tenant, row) = try seed(connection, items: 3)
        _ = try BatchRecords(connection).apply(.pause, batchID: row.id, tenantID: tenant.id)
        #expect(try ItemLeases(connection).claim(owner: "w1", limit: 3, leaseSeconds: 60).isEmpty)
        _ = try BatchRecords(connection).apply(.resume, batchID: row.id, tenantID: tenant.id)
        #expect(try ItemLeases(connection).claim(owner: "w1", limit: 3, leaseSeconds: 60).count == 3)
    }

    @Test(arguments: StoreBackend.allCases) func highPriorityFirstThenFairBetweenTenants(_ backend: StoreBackend) throws {
        let store = try backend.open()
        let connection = store.connection
        let (_, big) = try seed(connection, tenant: "big", items: 1000, maxConcurrent: 1000)
        let (_, urgent) = try seed(connection, tenant: "big", items: 2, maxConcurrent: 10, priority: .high)
        let leases = ItemLeases(connection)
        #expect(try leases.claim(owner: "w", limit: 10, leaseSeconds: 60).first?.batchID == urgent.id)
        // The big tenant has work in flight; a small tenant's new batch goes next.
        #expect(try leases.claim(owner: "w", limit: 10, leaseSeconds: 60).first?.batchID == big.id)
        let (_, small) = try seed(connection, tenant: "small", items: 10, maxConcurrent: 10)
        #expect(try leases.claim(owner: "w", limit: 10, leaseSeconds: 60).first?.batchID == small.id)
    }
}

@Suite struct BatchMaintenanceTests {
    func seed(_ connection: any StoreConnection, window: Int?, retention: Int = 30, created: Timestamp) throws -> (Tenant, String) {
        let tenant = try TenantRecords(connection).find(idOrName: "acme") ?? TenantRecords(connection).create(name: "acme")
        var configuration = BatchConfiguration()
        configuration.completionWindowSeconds = window
        configuration.retentionDays = retention
        let batch = NewBatch(
            name: "b", processor: "noop", configuration: configuration, items: NewItems((1...3).map { NewItem(content: [1], row: $0) }))
        guard case .created(let row, _) = try BatchRecords(connection).create(batch, tenantID: tenant.id, now: created, render: { _ in [] }) else {
            throw StoreError.notFound("batch")
        }
        return (tenant, row.id)
    }

    @Test(arguments: StoreBackend.allCases) func itemsMissingTheWindowExpireAndTheBatchCompletes(_ backend: StoreBackend) throws {
        let store = try backend.open()
        let connection = store.connection
        let created = Timestamp(milliseconds: 1_000_000_000)
        let (_, id) = try seed(connection, window: 3600, created: created)
        let leases = ItemLeases(connection)
        let running = try leases.claim(owner: "w", limit: 1, leaseSeconds: 60, now: Timestamp(milliseconds: created.milliseconds + 1000))
        #expect(running.count == 1)
        let late = Timestamp(milliseconds: created.milliseconds + 3_600_000)
        // Past the window nothing more is claimed, and what waits expires.
        #expect(try leases.claim(owner: "w", limit: 5, leaseSeconds: 60, now: late).isEmpty)
        #expect(try BatchMaintenance(connection).expireOverdue(now: late) == 2)
        var row = try #require(try BatchRecords(connection).find(id: id))
        #expect(row.expired == 2 && row.pending == 0 && row.state == .running)
        // The running item still finishes and counts; then the batch completes.
        try leases.complete(
            [
                ItemCompletion(
                    item: running[0], outcome: .succeeded(result: nil, mediaType: nil, usage: .none), startedAt: late, durationMilliseconds: 5)
            ], now: late)
        row = try #require(try BatchRecords(connection).find(id: id))
        #expect(row.state == .completed && row.succeeded == 1)
    }

    @Test(arguments: StoreBackend.allCases) func batchesWithoutAWindowNeverExpire(_ backend: StoreBackend) throws {
        let store = try backend.open()
        let connection = store.connection
        _ = try seed(connection, window: nil, created: Timestamp(milliseconds: 0))
        #expect(try BatchMaintenance(connection).expireOverdue(now: .now()) == 0)
    }

    @Test(arguments: StoreBackend.allCases) func finishedBatchesArePurgedAfterTheirRetention(_ backend: StoreBackend) throws {
        let store = try backend.open()
        let connection = store.connection
        let created = Timestamp(milliseconds: 1_000_000_000)
        let (tenant, id) = try seed(connection, window: nil, retention: 2, created: created)
        let (_, running) = try seed(connection, window: nil, retention: 1, created: created)
        _ = try BatchRecords(connection).apply(.cancel, batchID: id, tenantID: tenant.id, now: created)
        let maintenance = BatchMaintenance(connection)
        #expect(try maintenance.purgeExpired(now: Timestamp(milliseconds: created.milliseconds + 86_400_000)).batches.map(\.batchID) == [])
        #expect(try maintenance.purgeExpired(now: Timestamp(milliseconds: created.milliseconds + 2 * 86_400_000)).batches.map(\.batchID) == [id])
        #expect(try BatchRecords(connection).find(id: id) == nil)
        #expect(try connection.statement("SELECT count(*) FROM items WHERE batch_id = ?").bind(.text(id)).firstRow { $0.int(0) } == 0)
        // A batch still running is never purged, whatever its retention.
        #expect(try BatchRecords(connection).find(id: running) != nil)
    }
}

/// Poison items: the second death of the process running an item fails it for good.
@Suite struct PoisonItemTests {
    let base = ItemLeaseTests()

    func crash(_ items: [ClaimedItem]) -> [ItemCompletion] {
        items.map {
            ItemCompletion(
                item: $0, outcome: .crashed(errorType: "processing_error", message: "helper died"), startedAt: .now(), durationMilliseconds: 5)
        }
    }

    func errorType(_ connection: any StoreConnection, _ id: String) throws -> (String?, Int) {
        try #require(
            try connection.statement("SELECT error_type, crashes FROM items WHERE id = ?").bind(.text(id)).firstRow {
                ($0.optionalText(0), Int($0.int(1)))
            })
    }

    @Test(arguments: StoreBackend.allCases) func aFirstCrashRetriesAtOnceASecondFailsForGood(_ backend: StoreBackend) throws {
        let store = try backend.open()
        let connection = store.connection
        let (_, row) = try base.seed(connection, items: 1)
        let leases = ItemLeases(connection)
        let first = try leases.claim(owner: "w1", limit: 1, leaseSeconds: 60)
        #expect(try leases.complete(crash(first)) == 0)
        // Released at once: claimable again without waiting for the lease to expire.
        var batch = try base.batch(connection, row.id)
        #expect(batch.pending == 1 && batch.processing == 0 && batch.failed == 0)
        let second = try leases.claim(owner: "w2", limit: 1, leaseSeconds: 60)
        #expect(second.first?.crashes == 1)
        #expect(try leases.complete(crash(second)) == 1)
        batch = try base.batch(connection, row.id)
        #expect(batch.failed == 1 && batch.pending == 0 && batch.processing == 0)
        #expect(batch.state == .completed)
        #expect(try errorType(connection, second[0].id) == ("processing_error", 2))
    }

    @Test(arguments: StoreBackend.allCases) func aCrashUnderALostLeaseChangesNothing(_ backend: StoreBackend) throws {
        let store = try backend.open()
        let connection = store.connection
        let (_, row) = try base.seed(connection, items: 1)
        let leases = ItemLeases(connection)
        var claimed = try leases.claim(owner: "w1", limit: 1, leaseSeconds: 60)
        claimed[0].leaseOwner = "w9"
        #expect(try leases.complete(crash(claimed)) == 0)
        let batch = try base.batch(connection, row.id)
        #expect(batch.processing == 1 && batch.pending == 0)
    }

    @Test(arguments: StoreBackend.allCases) func serverCrashesCountTheSameWay(_ backend: StoreBackend) throws {
        let store = try backend.open()
        let connection = store.connection
        let (_, row) = try base.seed(connection, items: 2)
        let leases = ItemLeases(connection)
        let claimed = try leases.claim(owner: "w1", limit: 2, leaseSeconds: 60)
        let poison = claimed[0].id
        // Unknown and not-running ids are ignored.
        #expect(try leases.recordServerCrash(itemIDs: [poison, "job-unknown"]) == (1, 0))
        var batch = try base.batch(connection, row.id)
        #expect(batch.pending == 1 && batch.processing == 1)
        let again = try leases.claim(owner: "w2", limit: 1, leaseSeconds: 60)
        #expect(again.map(\.id) == [poison])
        #expect(try leases.recordServerCrash(itemIDs: [poison]) == (0, 1))
        #expect(try errorType(connection, poison) == ("processing_error", 2))
        #expect(try leases.complete(base.succeed([claimed[1]])) == 1)
        batch = try base.batch(connection, row.id)
        #expect(batch.state == .completed && batch.failed == 1 && batch.succeeded == 1)
    }
}
