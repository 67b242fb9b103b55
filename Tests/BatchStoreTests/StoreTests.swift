import Foundation
import Synchronization
import TestSupport
import Testing

@testable import BatchModel
@testable import BatchStore

@Suite struct MigrationTests {
    @Test func appliesAllMigrationsOnceInWALMode() throws {
        let temp = try TemporaryDatabase()
        let connection = try temp.sqlite()
        #expect(try Migrations.currentVersion(of: connection) == Migrations.latestVersion)
        #expect(try connection.statement("PRAGMA journal_mode").firstRow { $0.text(0) } == "wal")
        // A second start finds nothing to do and keeps data.
        _ = try TenantRecords(connection).create(name: "keep")
        try temp.database.prepare()
        #expect(try TenantRecords(connection).list().map(\.name) == ["keep"])
    }

    @Test func refusesADatabaseFromTheFuture() throws {
        let temp = try TemporaryDatabase()
        let connection = try temp.database.connect()
        try connection.execute("PRAGMA user_version = \(Migrations.latestVersion + 1)")
        #expect(throws: StoreError.schemaTooNew(found: Migrations.latestVersion + 1, known: Migrations.latestVersion)) {
            try temp.database.prepare()
        }
    }

    @Test func schemaHoldsWhatLaterWorkNeeds() throws {
        let temp = try TemporaryDatabase()
        let connection = try temp.database.connect()
        func columns(_ table: String) throws -> Set<String> {
            Set(try connection.statement("SELECT name FROM pragma_table_info('\(table)')").rows { $0.text(0) })
        }
        #expect(
            try columns("batches").isSuperset(of: [
                "n_pending", "n_processing", "n_succeeded", "n_failed", "item_time_ms", "cost_cents", "input_tokens", "output_tokens", "version",
            ]))
        #expect(try columns("items").isSuperset(of: ["seq", "lease_owner", "lease_until", "attempt"]))
        #expect(try columns("api_keys").isSuperset(of: ["hash", "prefix", "role", "revoked_at"]))
        #expect(try columns("tenants").isSuperset(of: ["rate_limit", "rate_window", "rate_burst", "max_items"]))
        for table in ["media", "batch_errors", "batch_media_counts", "settings", "idempotency_keys"] {
            #expect(try !columns(table).isEmpty, "missing table \(table)")
        }
    }
}

/// Every test here runs on both backends (`StoreBackend`): a behaviour of the
/// store cannot differ between SQLite and PostgreSQL.
@Suite struct TenantAndKeyTests {
    @Test(arguments: StoreBackend.allCases) func tenantNamesAreUnique(_ backend: StoreBackend) throws {
        let store = try backend.open()
        let tenants = TenantRecords(store.connection)
        let acme = try tenants.create(name: "acme")
        #expect(try tenants.find(id: acme.id) == acme)
        #expect(try tenants.find(idOrName: "acme") == acme)
        #expect(try tenants.find(idOrName: acme.id) == acme)
        #expect(try tenants.list() == [acme])
        #expect(throws: StoreError.conflict("a tenant named 'acme' already exists")) { try tenants.create(name: "acme") }
    }

    @Test(arguments: StoreBackend.allCases) func updatesLimits(_ backend: StoreBackend) throws {
        let store = try backend.open()
        let tenants = TenantRecords(store.connection)
        var acme = try tenants.create(name: "acme")
        acme.rateLimit = RateLimitPolicy(limit: 50, windowSeconds: 60, burst: 5, writeLimit: 10)
        acme.quota.maxItems = 1000
        try tenants.update(acme)
        #expect(try tenants.find(id: acme.id) == acme)
        var ghost = acme
        ghost.id = "ten-ghost000000000000"
        #expect(throws: StoreError.notFound("tenant ten-ghost000000000000")) { try tenants.update(ghost) }
    }

    @Test(arguments: StoreBackend.allCases) func keysAuthenticateUntilRevoked(_ backend: StoreBackend) throws {
        let store = try backend.open()
        let connection = store.connection
        let tenant = try TenantRecords(connection).create(name: "acme")
        let keys = KeyRecords(connection)
        let (record, secret) = try keys.create(tenantID: tenant.id, role: .admin, name: "ops")
        let found = try keys.authenticate(hash: secret.hash)
        #expect(found?.0 == record)
        #expect(found?.1 == tenant)
        #expect(try keys.authenticate(hash: APIKeySecret.hash("bd_wrong")) == nil)
        #expect(try keys.list(tenantID: tenant.id) == [record])
        #expect(try keys.find(id: record.id) == record)

        let revoked = try keys.revoke(id: record.id)
        #expect(revoked.revokedAt != nil)
        #expect(try keys.authenticate(hash: secret.hash) == nil)
        // Revoking again keeps the first time.
        #expect(try keys.revoke(id: record.id, now: Timestamp(milliseconds: revoked.revokedAt!.milliseconds + 5000)).revokedAt == revoked.revokedAt)
    }

    @Test(arguments: StoreBackend.allCases) func secretsAreNeverStored(_ backend: StoreBackend) throws {
        let store = try backend.open()
        let connection = store.connection
        let tenant = try TenantRecords(connection).create(name: "acme")
        let (_, secret) = try KeyRecords(connection).create(tenantID: tenant.id, role: .client)
        let stored = try connection.statement("SELECT hash || prefix || name FROM api_keys").rows { $0.text(0) }.joined()
        #expect(!stored.contains(secret.value))
        #expect(stored.contains(secret.hash))
    }

    @Test(arguments: StoreBackend.allCases) func keysNeedAnExistingTenant(_ backend: StoreBackend) throws {
        let store = try backend.open()
        #expect(throws: StoreError.notFound("tenant ten-missing")) {
            try KeyRecords(store.connection).create(tenantID: "ten-missing", role: .client)
        }
    }

    @Test(arguments: StoreBackend.allCases) func settingsAndCacheSettings(_ backend: StoreBackend) throws {
        let store = try backend.open()
        let settings = SettingsRecords(store.connection)
        #expect(try settings.value(scope: "s", key: "k") == nil)
        #expect(try settings.value(scope: "s", key: "k") { "first" } == "first")
        #expect(try settings.value(scope: "s", key: "k") { "second" } == "first")
        try settings.set(scope: "s", key: "k", value: "changed")
        try settings.set(scope: "s", key: "a", value: "1")
        #expect(try settings.all(scope: "s").map { "\($0.key)=\($0.value)" } == ["a=1", "k=changed"])
        try settings.delete(scope: "s", key: "k")
        #expect(try settings.value(scope: "s", key: "k") == nil)

        let cache = CacheSettingsRecords(store.connection)
        #expect(try cache.generation() == 0)
        #expect(try cache.load() == CacheSettings())
        try cache.apply([.status: [.running: 7]], tenantID: nil)
        try cache.apply([.check: [.completed: 600]], tenantID: "ten-a")
        #expect(try cache.generation() == 2)
        let loaded = try cache.load()
        #expect(loaded.defaults[.status]?[.running] == 7)
        #expect(loaded.tenantOverrides["ten-a"]?[.check]?[.completed] == 600)
        try cache.reset(tenantID: "ten-a")
        #expect(try cache.load().tenantOverrides.isEmpty)
        #expect(try cache.generation() == 3)
    }
}

@Suite struct BatchLookupTests {
    @Test(arguments: StoreBackend.allCases) func batchesAreScopedToTheirTenant(_ backend: StoreBackend) throws {
        let store = try backend.open()
        let connection = store.connection
        let a = try TenantRecords(connection).create(name: "a")
        let b = try TenantRecords(connection).create(name: "b")
        try connection.statement(
            "INSERT INTO batches (id, tenant_id, name, status, created_at, updated_at, total_items, n_pending, n_succeeded) VALUES (?,?,?,?,?,?,?,?,?)"
        ).bind(
            .text("batch-one"), .text(a.id), .text("first"), .text("running"), .integer(1000), .integer(2000), .integer(3), .integer(2), .integer(1)
        ).run()
        let row = try BatchRecords(connection).find(id: "batch-one", tenantID: a.id)
        #expect(row?.state == .running)
        #expect(row?.totalItems == 3)
        #expect(row?.succeeded == 1)
        #expect(try BatchRecords(connection).find(id: "batch-one", tenantID: b.id) == nil)
    }
}

@Suite struct ProducedItemsTests {
    @Test(arguments: StoreBackend.allCases) func itemsThatWalkOutDifferentlyFromTheirCountStoreNothing(_ backend: StoreBackend) throws {
        let store = try backend.open()
        let connection = store.connection
        let tenant = try TenantRecords(connection).create(name: "a")
        let shortWalk = NewItems(count: 3, totalBytes: 3) { emit in _ = emit(NewItem(content: [1], row: 1)) }
        let batch = NewBatch(name: "b", processor: "noop", items: shortWalk)
        #expect(throws: StoreError.self) {
            try BatchRecords(connection).create(batch, tenantID: tenant.id, render: { _ in [] })
        }
        let counts = try connection.statement("SELECT (SELECT count(*) FROM batches), (SELECT count(*) FROM items)").firstRow {
            [$0.int(0), $0.int(1)]
        }
        #expect(counts == [0, 0])
    }

    @Test(arguments: StoreBackend.allCases) func producedItemsAreStoredInOrder(_ backend: StoreBackend) throws {
        let store = try backend.open()
        let connection = store.connection
        let tenant = try TenantRecords(connection).create(name: "a")
        let produced = NewItems(count: 3, totalBytes: 6) { emit in
            for row in 1...3 where !emit(NewItem(content: Array(repeating: UInt8(row), count: row), customID: "c\(row)", row: row)) { return }
        }
        guard
            case .created(let row, _) = try BatchRecords(connection).create(
                NewBatch(name: "b", processor: "noop", items: produced), tenantID: tenant.id, render: { _ in [] })
        else {
            Issue.record("not created")
            return
        }
        #expect(row.totalItems == 3)
        let stored = try connection.statement("SELECT seq, custom_id, size_bytes FROM items WHERE batch_id = ? ORDER BY seq").bind(.text(row.id))
            .rows { "\($0.int(0)):\($0.text(1)):\($0.int(2))" }
        #expect(stored == ["1:c1:1", "2:c2:2", "3:c3:3"])
    }
}

@Suite struct AppendTests {
    /// A tenant and an open (accumulating) batch holding `items`.
    func openBatch(_ connection: any StoreConnection, items: [NewItem] = []) throws -> (Tenant, BatchRow) {
        let tenant = try TenantRecords(connection).create(name: "a")
        guard
            case .created(let batch, _) = try BatchRecords(connection).create(
                NewBatch(name: "b", processor: "noop", items: NewItems(items), submit: false), tenantID: tenant.id, render: { _ in [] })
        else { throw StoreError.notFound("created batch") }
        return (tenant, batch)
    }

    @Test(arguments: StoreBackend.allCases) func parallelAppendsNeverPassTheItemLimit(_ backend: StoreBackend) throws {
        let store = try backend.open()
        let connection = store.connection
        let (tenant, batch) = try openBatch(connection)
        let succeeded = Atomic<Int>(0)
        let refused = Atomic<Int>(0)
        let connect = store.connect
        DispatchQueue.concurrentPerform(iterations: 20) { worker in
            guard let own = try? connect() else { return }
            let items = NewItems((1...10).map { NewItem(content: [UInt8(worker)], customID: "w\(worker)-\($0)", row: $0) })
            do {
                _ = try BatchRecords(own).append(items, batchID: batch.id, tenantID: tenant.id, maxItems: 100)
                succeeded.add(1, ordering: .relaxed)
            } catch {
                if case StoreError.conflict = error { refused.add(1, ordering: .relaxed) }
            }
        }
        #expect(succeeded.load(ordering: .relaxed) == 10)
        #expect(refused.load(ordering: .relaxed) == 10)
        let stored = try connection.statement("SELECT count(*) FROM items WHERE batch_id = ?").bind(.text(batch.id)).firstRow { $0.int(0) }
        #expect(stored == 100)
        #expect(try BatchRecords(connection).find(id: batch.id)?.totalItems == 100)
    }

    /// A custom_id already in the batch is refused by name, on both stores (on
    /// PostgreSQL the inserts are pipelined: the refusal must still surface here).
    @Test(arguments: StoreBackend.allCases) func aCustomIDAlreadyUsedIsNamedAndNothingIsAdded(_ backend: StoreBackend) throws {
        let store = try backend.open()
        let connection = store.connection
        let (tenant, batch) = try openBatch(connection, items: [NewItem(content: [1], customID: "one", row: 1)])
        let items = NewItems([NewItem(content: [2], customID: "two", row: 1), NewItem(content: [3], customID: "one", row: 2)])
        #expect(throws: StoreError.conflict("A custom_id in these items is already used in batch \(batch.id)")) {
            try BatchRecords(connection).append(items, batchID: batch.id, tenantID: tenant.id, maxItems: 100)
        }
        #expect(try BatchRecords(connection).find(id: batch.id)?.totalItems == 1)
        #expect(try connection.statement("SELECT count(*) FROM items").firstRow { $0.int(0) } == 1)
    }
}

@Suite struct OrphanBlobSweepTests {
    @Test(arguments: StoreBackend.allCases) func onlyOldBlobsNoItemOwnsAreRemoved(_ backend: StoreBackend) throws {
        let store = try backend.open()
        let connection = store.connection
        let tenant = try TenantRecords(connection).create(name: "a")
        let blobs = NSTemporaryDirectory() + "batchd-blobs-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: blobs, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: blobs) }
        for name in ["owned.blob", "owned-elsewhere.blob", "orphan.blob", "young-orphan.blob", "notes.txt"] {
            _ = FileManager.default.createFile(atPath: blobs + "/" + name, contents: Data([1, 2, 3]))
        }
        var owned = NewItem(filePath: blobs + "/owned.blob", row: 1)
        owned.ownsFile = true
        // The same folder spelled another way (a symlink, say) still owns its blob.
        var elsewhere = NewItem(filePath: "/srv/batchd/var/blobs/owned-elsewhere.blob", row: 2)
        elsewhere.ownsFile = true
        _ = try BatchRecords(connection).create(
            NewBatch(name: "b", processor: "noop", items: NewItems([owned, elsewhere])), tenantID: tenant.id, render: { _ in [] })
        let old = Int(time(nil)) - 7200
        for name in ["owned.blob", "owned-elsewhere.blob", "orphan.blob", "notes.txt"] {
            var times = [timespec(tv_sec: old, tv_nsec: 0), timespec(tv_sec: old, tv_nsec: 0)]
            #expect(utimensat(AT_FDCWD, blobs + "/" + name, &times, 0) == 0)
        }
        let removed = try OrphanBlobSweep(connection).sweep(directory: blobs, minimumAgeSeconds: 3600)
        #expect(removed == [blobs + "/orphan.blob"])
        let left = try FileManager.default.contentsOfDirectory(atPath: blobs).sorted()
        #expect(left == ["notes.txt", "owned-elsewhere.blob", "owned.blob", "young-orphan.blob"])
        // At start nothing is being written: every orphan goes, whatever its age.
        #expect(try OrphanBlobSweep(connection).sweep(directory: blobs, minimumAgeSeconds: 0) == [blobs + "/young-orphan.blob"])
    }
}

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct WriterQueueTests {
    @Test func writersTakeTurnsInsteadOfFailingBusy() throws {
        let folder = NSTemporaryDirectory() + "batchd-writers-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // SQLite alone would give up after 100 ms; each write holds the writer 150 ms.
        let database = StoreDatabase(path: folder + "/test.sqlite3", busyTimeoutMilliseconds: 100)
        try database.prepare()
        let failures = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 6) { writer in
            do {
                let connection = try database.connect()
                try connection.transaction { () throws(StoreError) in
                    try SettingsRecords(connection).set(scope: "test", key: "w\(writer)", value: "x")
                    usleep(150_000)
                }
            } catch {
                failures.add(1, ordering: .relaxed)
            }
        }
        #expect(failures.load(ordering: .relaxed) == 0)
        #expect(try SettingsRecords(try database.connect()).all(scope: "test").count == 6)
    }

    @Test func turnsGoInArrivalOrderAndAWaitCanTimeOut() {
        let queue = WriterQueue(timeoutMilliseconds: 200)
        #expect(queue.acquire())
        let order = Mutex<[Int]>([])
        // A waiter on the busy queue gives up after its timeout.
        let start = DispatchTime.now().uptimeNanoseconds
        #expect(!queue.acquire())
        #expect(DispatchTime.now().uptimeNanoseconds - start >= 150_000_000)
        // Waiters are served first come, first served.
        let long = WriterQueue(timeoutMilliseconds: 10_000)
        #expect(long.acquire())
        let served = DispatchGroup()
        for index in 0..<4 {
            served.enter()
            Thread {
                guard long.acquire() else { return }
                order.withLock { $0.append(index) }
                long.release()
                served.leave()
            }.start()
            usleep(30_000)  // arrive one after another
        }
        long.release()
        served.wait()
        #expect(order.withLock { $0 } == [0, 1, 2, 3])
        queue.release()
        // Turns are counted with how long they were held; the timed-out wait too.
        #expect(queue.statistics.timedOut == 1)
        #expect(queue.statistics.holds == 1)
        #expect(long.statistics.holds == 5)
        #expect(long.statistics.timedOut == 0)
    }

    @Test func holdStatisticsCountTheLongestAndThoseOverTarget() {
        var statistics = WriterStatistics()
        statistics.record(holdMicroseconds: 20_000)
        statistics.record(holdMicroseconds: 150_000)
        statistics.record(holdMicroseconds: 500)
        #expect(statistics.holds == 3)
        #expect(statistics.longestMicroseconds == 150_000)
        #expect(statistics.totalMicroseconds == 170_500)
        #expect(statistics.holdsOverTarget == 1)
    }
}

@Suite struct RoleMigrationTests {
    @Test func adminKeysOfOldDatabasesBecomeOperatorKeys() throws {
        let folder = NSTemporaryDirectory() + "batchd-roles-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let connection = try SQLiteConnection(path: folder + "/old.sqlite3")
        // A database as version 6 left it, with an admin and a client key.
        for (index, sql) in Migrations.all.prefix(6).enumerated() {
            try connection.execute(sql)
            try connection.execute("PRAGMA user_version = \(index + 1)")
        }
        try connection.execute("INSERT INTO tenants (id, name, created_at) VALUES ('ten-a', 'a', 0)")
        try connection.execute(
            "INSERT INTO api_keys (id, tenant_id, prefix, hash, role, created_at) VALUES ('key-1', 'ten-a', 'bd_', 'h1', 'admin', 0), ('key-2', 'ten-a', 'bd_', 'h2', 'client', 0)"
        )
        try Migrations.apply(to: connection)
        let roles = try connection.statement("SELECT id, role FROM api_keys ORDER BY id").rows { "\($0.text(0))=\($0.text(1))" }
        #expect(roles == ["key-1=operator", "key-2=client"])
        try connection.execute(
            "INSERT INTO api_keys (id, tenant_id, prefix, hash, role, created_at) VALUES ('key-3', 'ten-a', 'bd_', 'h3', 'admin', 0)")
        #expect(throws: StoreError.self) {
            try connection.execute(
                "INSERT INTO api_keys (id, tenant_id, prefix, hash, role, created_at) VALUES ('key-4', 'ten-a', 'bd_', 'h4', 'root', 0)")
        }
    }
}

@Suite struct ChunkedCreateTests {
    func fixture(_ backend: StoreBackend) throws -> (OpenStore, any StoreConnection, Tenant) {
        let store = try backend.open()
        return (store, store.connection, try TenantRecords(store.connection).create(name: "a"))
    }

    @Test(arguments: StoreBackend.allCases) func aLargeCreateIsWrittenInChunksAndShownOnlyWhenWhole(_ backend: StoreBackend) throws {
        let (store, connection, tenant) = try fixture(backend)
        let count = BatchRecords.createChunkItems * 2 + 500
        let seenMidway = Mutex<[Int64]>([])
        let interleaved = Mutex<Bool>(false)
        let connect = store.connect
        let items = NewItems(count: count, totalBytes: Int64(count)) { emit in
            for row in 1...count {
                if row == BatchRecords.createChunkItems * 2 + 1 {
                    // Two chunks are written: no tenant sees the batch, and another writer gets its turn.
                    let observer = try? connect()
                    let visible =
                        (try? observer?.statement("SELECT count(*) FROM batches WHERE tenant_id = ?").bind(.text(tenant.id)).firstRow { $0.int(0) })
                        ?? nil
                    seenMidway.withLock { $0.append(visible ?? -1) }
                    let other = try? connect()
                    interleaved.withLock {
                        $0 =
                            (try? other?.transaction { () throws(StoreError) in try SettingsRecords(other!).set(scope: "t", key: "k", value: "v") })
                            != nil
                    }
                }
                guard emit(NewItem(content: [1], customID: "c\(row)", row: row)) else { return }
            }
        }
        guard
            case .created(let row, _) = try BatchRecords(connection).create(
                NewBatch(name: "big", processor: "noop", items: items), tenantID: tenant.id, render: { _ in [] })
        else {
            Issue.record("not created")
            return
        }
        #expect(seenMidway.withLock { $0 } == [0])
        #expect(interleaved.withLock { $0 })
        #expect(row.tenantID == tenant.id && row.state == .queued && row.totalItems == count && row.pending == count)
        let (stored, lastSeq) =
            try connection.statement("SELECT count(*), max(seq) FROM items WHERE batch_id = ?").bind(.text(row.id)).firstRow {
                ($0.int(0), $0.int(1))
            } ?? (0, 0)
        #expect(stored == Int64(count) && lastSeq == Int64(count))
        #expect(try TenantRecords(connection).list().map(\.id) == [tenant.id])
        #expect(try TenantRecords(connection).find(id: StagingTenant.id) == nil)
    }

    @Test(arguments: StoreBackend.allCases) func aFailedLargeCreateLeavesNothing(_ backend: StoreBackend) throws {
        let (store, connection, tenant) = try fixture(backend)
        defer { withExtendedLifetime(store) {} }
        let count = BatchRecords.createChunkItems * 3
        let shortWalk = NewItems(count: count, totalBytes: Int64(count)) { emit in
            for row in 1...(count - 10) where !emit(NewItem(content: [1], row: row)) { return }
        }
        #expect(throws: StoreError.self) {
            try BatchRecords(connection).create(NewBatch(name: "b", processor: "noop", items: shortWalk), tenantID: tenant.id, render: { _ in [] })
        }
        let counts = try connection.statement("SELECT (SELECT count(*) FROM batches), (SELECT count(*) FROM items)").firstRow {
            [$0.int(0), $0.int(1)]
        }
        #expect(counts == [0, 0])
    }

    @Test(arguments: StoreBackend.allCases) func aLargeCreateReplaysItsKeyAndStagedLeftoversAreRemoved(_ backend: StoreBackend) throws {
        let (store, connection, tenant) = try fixture(backend)
        defer { withExtendedLifetime(store) {} }
        let count = BatchRecords.createChunkItems + 1
        let batch = NewBatch(name: "b", processor: "noop", items: NewItems((1...count).map { NewItem(content: [1], row: $0) }))
        let claim = IdempotencyClaim(key: "k1", requestHash: "h")
        let first = try BatchRecords(connection).create(batch, tenantID: tenant.id, idempotency: claim, render: { Array($0.id.utf8) })
        let second = try BatchRecords(connection).create(batch, tenantID: tenant.id, idempotency: claim, render: { Array($0.id.utf8) })
        guard case .created(let row, _) = first, case .replayed(let response) = second else {
            Issue.record("expected created, then replayed")
            return
        }
        #expect(response == Array(row.id.utf8))
        #expect(try connection.statement("SELECT count(*) FROM batches").firstRow { $0.int(0) } == 1)
        // A crash mid-create leaves a staged batch: removed at the next start.
        try connection.execute(
            "INSERT INTO batches (id, tenant_id, name, status, created_at, updated_at) VALUES ('batch-staged', '\(StagingTenant.id)', 'x', 'accumulating', 0, 0)"
        )
        try connection.execute("INSERT INTO items (id, batch_id, seq, status) VALUES ('item-staged', 'batch-staged', 1, 'pending')")
        // Only those created before a cutoff (nodes may be staging creates right now), or all.
        #expect(try BatchRecords(connection).discardStagedLeftovers(createdBefore: Timestamp(milliseconds: 0)) == 0)
        #expect(try BatchRecords(connection).discardStagedLeftovers(createdBefore: Timestamp(milliseconds: 1)) == 1)
        #expect(try connection.statement("SELECT count(*) FROM items WHERE batch_id = 'batch-staged'").firstRow { $0.int(0) } == 0)
        #expect(try connection.statement("SELECT count(*) FROM batches").firstRow { $0.int(0) } == 1)
    }
}
