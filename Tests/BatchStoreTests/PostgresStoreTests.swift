import Foundation
import Synchronization
import TestSupport
import Testing

@testable import BatchModel
@testable import BatchStore

/// The PostgreSQL backend's foundations against a real server the test starts
/// (`TemporaryPostgres`): libpq values and errors, prepared statements,
/// transactions, and a schema that matches SQLite's column for column.
@Suite struct PostgresStoreTests {
    @Test func valuesErrorsAndTransactions() throws {
        let server = try TemporaryPostgres()
        let connection = try server.connect()
        try connection.execute("CREATE TABLE t (id bigint PRIMARY KEY, name text, body bytea, ratio double precision)")
        let bytes: [UInt8] = [0, 1, 2, 255, 0x5C, 0x27]
        try connection.query("INSERT INTO t VALUES ($1, $2, $3, $4)", [.integer(Int64.max), .text("é'\"\\ ok"), .blob(bytes), .real(0.25)])
        try connection.query("INSERT INTO t VALUES ($1, $2, $3, $4)", [.integer(-7), .null, .null, .null])
        try connection.query("INSERT INTO t VALUES ($1, $2, $3, $4)", [.integer(0), .text(""), .blob([]), .real(-1)])
        #expect(throws: StoreError.postgres(sqlState: "22021", message: "a text value contains a NUL byte")) {
            try connection.query("INSERT INTO t (id, name) VALUES ($1, $2)", [.integer(9), .text("a\u{0}b")])
        }
        let rows = try connection.query("SELECT id, name, encode(body, 'hex'), ratio FROM t ORDER BY id", [])
        #expect(rows.count == 3)
        #expect(rows.int(0, 0) == -7 && rows.text(0, 1) == nil && rows.text(0, 2) == nil)
        #expect(rows.int(1, 0) == 0 && rows.text(1, 1) == "" && rows.text(1, 2) == "")
        #expect(rows.int(2, 0) == Int64.max)
        #expect(rows.text(2, 1) == "é'\"\\ ok")
        #expect(rows.text(2, 2) == "000102ff5c27")
        #expect(rows.text(2, 3) == "0.25")

        // A statement is prepared once per connection, however often it runs.
        for id in 1...5 { try connection.query("INSERT INTO t (id) VALUES ($1)", [.int(id)]) }
        let prepared = try connection.query(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement = $1", [.text("INSERT INTO t (id) VALUES ($1)")])
        #expect(prepared.int(0, 0) == 1)

        // Integrity violations are conflicts (as SQLite's constraint errors are); other
        // errors carry their SQLSTATE; a failed transaction leaves nothing behind.
        do {
            try connection.query("INSERT INTO t (id) VALUES ($1)", [.int(1)])
            Issue.record("a duplicate key was accepted")
        } catch {
            guard case .conflict(let message) = error else { throw error }
            #expect(message.contains("duplicate key"))
        }
        do {
            try connection.query("SELECT 1 / $1::bigint", [.int(0)])
            Issue.record("a division by zero was accepted")
        } catch {
            guard case .postgres(let state, _) = error else { throw error }
            #expect(state == "22012")
        }
        do {
            try connection.transaction { () throws(StoreError) in
                try connection.query("INSERT INTO t (id) VALUES ($1)", [.int(100)])
                try connection.query("INSERT INTO t (id) VALUES ($1)", [.int(1)])
            }
            Issue.record("the transaction should have failed")
        } catch {}
        #expect(try connection.query("SELECT count(*) FROM t WHERE id = 100").int(0, 0) == 0)
        #expect(try connection.transaction { () throws(StoreError) in try connection.query("SELECT 41 + 1").int(0, 0) } == 42)
        #expect(throws: StoreError.self) { try connection.execute("SELEKT 1") }
        #expect(connection.isOpen)
    }

    /// BEGIN goes with a transaction's first statement and `enqueue`d writes with
    /// the next statement or COMMIT (pipeline mode); a failure anywhere in a
    /// pipeline rolls the whole transaction back and leaves the connection usable.
    @Test func pipelinedTransactions() throws {
        let server = try TemporaryPostgres()
        let connection = try server.connect()
        try connection.execute("CREATE TABLE t (id bigint PRIMARY KEY)")
        let insert = "INSERT INTO t (id) VALUES (?)"
        let count = { () throws(StoreError) -> Int64 in try connection.query("SELECT count(*) FROM t").int(0, 0) ?? -1 }
        // Warm: each statement prepared once (a round trip of its own).
        try connection.statement(insert).bind(.int(0)).run()
        _ = try count()

        // BEGIN + first statement, then two queued writes + the next statement, then COMMIT: three exchanges.
        var before = connection.roundTrips
        let seen = try connection.transaction { () throws(StoreError) -> Int64 in
            try connection.statement(insert).bind(.int(1)).run()
            try connection.statement(insert).bind(.int(2)).enqueue()
            try connection.statement(insert).bind(.int(3)).enqueue()
            return try count()
        }
        #expect(seen == 4, "queued writes run before the statement that follows them")
        #expect(connection.roundTrips - before == 3)
        // Only queued writes: they go with COMMIT, BEGIN in front (one exchange).
        before = connection.roundTrips
        try connection.transaction { () throws(StoreError) in try connection.statement(insert).bind(.int(4)).enqueue() }
        #expect(connection.roundTrips - before == 1)
        #expect(try count() == 5)
        // A long queue goes in bounded pipelines (256 statements), not one.
        before = connection.roundTrips
        try connection.transaction { () throws(StoreError) in
            for id in 1000..<1600 { try connection.statement(insert).bind(.int(id)).enqueue() }
        }
        #expect(connection.roundTrips - before == 3)
        #expect(try count() == 605)
        try connection.execute("DELETE FROM t WHERE id >= 1000")
        // A transaction that ran nothing sends nothing.
        before = connection.roundTrips
        try connection.transaction { () throws(StoreError) in }
        #expect(connection.roundTrips == before)

        // The first statement fails (sent with BEGIN): nothing stays, the connection works.
        #expect(throws: StoreError.self) {
            try connection.transaction { () throws(StoreError) in try connection.statement(insert).bind(.int(1)).run() }
        }
        // A queued write fails at COMMIT: the statement before it is rolled back too.
        #expect(throws: StoreError.self) {
            try connection.transaction { () throws(StoreError) in
                try connection.statement(insert).bind(.int(10)).run()
                try connection.statement(insert).bind(.int(2)).enqueue()
            }
        }
        // A queued write fails in front of a statement: that statement's error is the write's.
        do {
            try connection.transaction { () throws(StoreError) in
                try connection.statement(insert).bind(.int(11)).enqueue()
                try connection.statement(insert).bind(.int(3)).enqueue()
                _ = try count()
            }
            Issue.record("a failed queued write was not reported")
        } catch {
            guard case .conflict = error else { throw error }
        }
        #expect(try count() == 5)
        #expect(try connection.query("SELECT count(*) FROM t WHERE id IN (10, 11)").int(0, 0) == 0)
        // Outside a transaction a queued write runs at once.
        try connection.statement(insert).bind(.int(12)).enqueue()
        #expect(try count() == 6)
        #expect(connection.isOpen)
    }

    /// A database a newer batchd migrated is refused, not written with an older schema's idea of it.
    @Test func refusesADatabaseFromTheFuture() throws {
        let server = try TemporaryPostgres()
        let connection = try server.connect()
        try PostgresMigrations.apply(to: connection)
        try connection.query("INSERT INTO schema_migrations (version) VALUES ($1::bigint)", [.int(PostgresMigrations.latestVersion + 1)])
        #expect(throws: StoreError.schemaTooNew(found: PostgresMigrations.latestVersion + 1, known: PostgresMigrations.latestVersion)) {
            try StoreDatabase(postgres: server.conninfo).prepare()
        }
    }

    @Test func migrationsGiveSQLitesSchemaAndRunOnceFromManyNodes() throws {
        let server = try TemporaryPostgres()
        let conninfo = server.conninfo
        // Four "nodes" migrating at once: the advisory lock lets one do it.
        let failures = Mutex<[String]>([])
        let done = DispatchGroup()
        for _ in 0..<4 {
            done.enter()
            Thread.detachNewThread {
                defer { done.leave() }
                do { try PostgresMigrations.apply(to: try PostgresConnection(conninfo)) } catch { failures.withLock { $0.append("\(error)") } }
            }
        }
        done.wait()
        #expect(failures.withLock { $0 }.isEmpty, "\(failures.withLock { $0 })")
        let connection = try server.connect()
        #expect(try PostgresMigrations.currentVersion(of: connection) == PostgresMigrations.latestVersion)
        try PostgresMigrations.apply(to: connection)
        #expect(try connection.query("SELECT count(*) FROM schema_migrations").int(0, 0) == Int64(PostgresMigrations.latestVersion))

        // The same tables and columns, nullability and kind of value as SQLite's.
        let sqlite = try TemporaryDatabase()
        let lite = try sqlite.database.connect()
        let tables = try lite.statement("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").rows { $0.text(0) }
        let pgTables = try connection.query(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'schema_migrations' ORDER BY table_name"
        )
        #expect(pgTables.rows.map { $0[0] ?? "" } == tables)
        for table in tables {
            let liteColumns = try lite.statement("SELECT name, type, \"notnull\" FROM pragma_table_info(?) ORDER BY name").bind(.text(table))
                .rows { "\($0.text(0)) \(Self.kind($0.text(1))) \($0.int(2) == 1 ? "not null" : "null")" }
            let pgColumns = try connection.query(
                "SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_name = $1 ORDER BY column_name",
                [.text(table)]
            ).rows.map { "\($0[0] ?? "") \(Self.kind($0[1] ?? "")) \($0[2] == "NO" ? "not null" : "null")" }
            // Primary keys are NOT NULL in PostgreSQL whatever the declaration; SQLite keeps a text key nullable.
            #expect(
                pgColumns.map { $0.replacingOccurrences(of: "not null", with: "null") }
                    == liteColumns.map { $0.replacingOccurrences(of: "not null", with: "null") }, "\(table)")
        }
        let liteIndexes = try lite.statement("SELECT name FROM sqlite_schema WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY name").rows {
            $0.text(0)
        }
        let pgIndexes = try connection.query(
            "SELECT indexname FROM pg_indexes WHERE schemaname = 'public' AND indexname NOT LIKE '%_pkey' AND indexname NOT LIKE '%_key' ORDER BY indexname"
        )
        #expect(pgIndexes.rows.map { $0[0] ?? "" } == liteIndexes)
        #expect(try connection.query("SELECT name FROM tenants").rows.map { $0[0] } == [".staging"])
    }

    /// `batchctl migrate-store`'s copy: a SQLite store with tenants, keys, a finished
    /// batch with an error summary, and settings reads the same from PostgreSQL; a
    /// second copy into the now full store is refused.
    @Test func aSQLiteStoreCopiesIntoPostgresWhole() throws {
        let lite = try TemporaryDatabase()
        let source = try lite.sqlite()
        var tenant = try TenantRecords(source).create(name: "acme")
        tenant.rateLimit = RateLimitPolicy(limit: 50, windowSeconds: 60, burst: 5, writeLimit: 10)
        try TenantRecords(source).update(tenant)
        let (key, secret) = try KeyRecords(source).create(tenantID: tenant.id, role: .client, name: "ci")
        let batch = NewBatch(
            name: "moved", processor: "noop", configuration: BatchConfiguration(),
            items: NewItems((1...5).map { NewItem(content: [0, 1, 2, 255], filename: "f\($0).bin", row: $0) }))
        guard case .created(let created, _) = try BatchRecords(source).create(batch, tenantID: tenant.id, render: { _ in [] }) else {
            throw StoreError.notFound("batch")
        }
        let leases = ItemLeases(source)
        let claimed = try leases.claim(owner: "w", limit: 5, leaseSeconds: 60)
        try leases.complete(
            claimed.enumerated().map { index, item in
                ItemCompletion(
                    item: item,
                    outcome: index == 0
                        ? .failed(errorType: "format_error", message: "bad", details: nil)
                        : .succeeded(result: ["n": .integer(Int64(index))], mediaType: nil, usage: .none),
                    startedAt: .now(), durationMilliseconds: 3)
            })
        try CacheSettingsRecords(source).apply([.status: [.running: 7]], tenantID: nil)
        // A batch with leases held when the store moves: its lease checks move too.
        var roomy = BatchConfiguration()
        roomy.maxConcurrent = 10
        let leasedBatch = NewBatch(
            name: "leased", processor: "noop", configuration: roomy,
            items: NewItems((1...6).map { NewItem(content: [1], row: $0) }))
        guard case .created(let leased, _) = try BatchRecords(source).create(leasedBatch, tenantID: tenant.id, render: { _ in [] }) else {
            throw StoreError.notFound("batch")
        }
        let start = Timestamp(milliseconds: 1_000_000)
        #expect(try leases.claim(owner: "w", limit: 3, leaseSeconds: 10, now: start).count == 3)

        let server = try TemporaryPostgres()
        let destination = try server.connect()
        try PostgresMigrations.apply(to: destination)
        let copied = try StoreCopy.copy(from: source, to: destination)
        #expect(copied.first { $0.table == "items" }?.rows == 11)
        #expect(try TenantRecords(destination).find(id: tenant.id) == tenant)
        #expect(try KeyRecords(destination).authenticate(hash: secret.hash)?.0 == key)
        #expect(try BatchRecords(destination).find(id: created.id) == BatchRecords(source).find(id: created.id))
        #expect(try ItemRecords(destination).page(batchID: created.id, limit: 10) == ItemRecords(source).page(batchID: created.id, limit: 10))
        #expect(try ItemRecords(destination).errorSummary(batchID: created.id) == ItemRecords(source).errorSummary(batchID: created.id))
        #expect(try CacheSettingsRecords(destination).load() == CacheSettingsRecords(source).load())
        #expect(throws: StoreError.self) { try StoreCopy.copy(from: source, to: destination) }
        // The destination numbers new checks past the copied ones, and rescues the copied leases.
        #expect(copied.first { $0.table == "lease_checks" }?.rows == 2)
        let moved = ItemLeases(destination)
        #expect(try moved.claim(owner: "w2", limit: 3, leaseSeconds: 10, now: start).map(\.seq) == [4, 5, 6])
        #expect(try destination.query("SELECT count(*) FROM lease_checks").int(0, 0) == 3)
        #expect(try moved.rescueExpired(maxAttempts: 3, now: Timestamp(milliseconds: 1_011_000)) == (6, 0))
        #expect(try BatchRecords(destination).find(id: leased.id)?.pending == 6)
    }

    /// The claim's plan as `ItemLeases.claimPlanPostgresSQL` fixes it, made while
    /// the items table is empty (as a node's first claims are) and kept as the
    /// connection's plan: items read along the `(batch_id, seq)` key and
    /// updated by address, never by a scan of the table, a bitmap or a sort.
    @Test func theClaimReadsItemsByKeyAndAddress() throws {
        let server = try TemporaryPostgres()
        let connection = try server.connect()
        try PostgresMigrations.apply(to: connection)
        try connection.execute("SET plan_cache_mode = force_generic_plan")
        try connection.execute(
            "PREPARE claim (bigint, text, bigint, text, bigint) AS " + PostgresDialect.placeholders(ItemLeases.claimPostgresSQL))
        let plan = try connection.transaction { () throws(StoreError) -> String in
            try connection.query(ItemLeases.claimPlanPostgresSQL)
            return try connection.query("EXPLAIN EXECUTE claim(0, 'w', 1, '{}', 32)").rows.map { $0[0] ?? "" }.joined(separator: "\n")
        }
        #expect(plan.contains("Index Scan using items_batch_id_seq_key on items"), "\(plan)")
        #expect(plan.contains("Tid Scan on items"), "\(plan)")
        #expect(!plan.contains("Seq Scan on items") && !plan.contains("Bitmap") && !plan.contains("JIT"), "\(plan)")
    }

    /// What the schema is shaped for: no index on items names a column a claim or
    /// a completion changes, so PostgreSQL writes both as heap-only updates (no
    /// index entry per item), read from the server's own counters.
    @Test func claimsAndCompletionsAreHeapOnlyUpdates() throws {
        let server = try TemporaryPostgres()
        let connection = try server.connect()
        try PostgresMigrations.apply(to: connection)
        let tenant = try TenantRecords(connection).create(name: "acme")
        var configuration = BatchConfiguration()
        configuration.maxConcurrent = 50
        let batch = NewBatch(
            name: "hot", processor: "noop", configuration: configuration,
            items: NewItems((1...40).map { NewItem(content: Array("item \($0)".utf8), row: $0) }))
        guard case .created = try BatchRecords(connection).create(batch, tenantID: tenant.id, render: { _ in [] }) else {
            throw StoreError.notFound("batch")
        }
        func updates() throws -> (all: Int64, heapOnly: Int64) {
            try connection.query("SELECT pg_stat_force_next_flush()")
            try connection.query("SELECT pg_stat_clear_snapshot()")
            let row = try connection.query("SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'items'")
            return (row.int(0, 0) ?? -1, row.int(0, 1) ?? -1)
        }
        let before = try updates()
        let leases = ItemLeases(connection)
        for _ in 0..<4 {
            let claimed = try leases.claim(owner: "w", limit: 10, leaseSeconds: 60)
            #expect(claimed.count == 10)
            #expect(
                try leases.complete(
                    claimed.map {
                        ItemCompletion(
                            item: $0, outcome: .succeeded(result: ["ok": true], mediaType: nil, usage: .none), startedAt: .now(),
                            durationMilliseconds: 1)
                    }) == 10)
        }
        let after = try updates()
        #expect(after.all - before.all == 80)
        #expect(after.heapOnly - before.heapOnly == 80, "\(after.heapOnly - before.heapOnly) of 80 updates were heap-only")
        let indexes = try connection.query("SELECT string_agg(indexdef, ' ') FROM pg_indexes WHERE tablename = 'items'").text(0, 0) ?? ""
        #expect(!indexes.contains("status") && !indexes.contains("lease_until"), "\(indexes)")
    }

    /// What batchd logs of a connection string: never its password.
    @Test func logsNeverShowThePassword() {
        #expect(
            StoreDatabase(postgres: "host=/run/pg user=batchd password=s3cret dbname=batchd").path
                == "host=/run/pg user=batchd password=*** dbname=batchd")
        #expect(
            StoreDatabase(postgres: "postgresql://batchd:s3cret@db.internal:5432/batchd?sslmode=require").path
                == "postgresql://batchd:***@db.internal:5432/batchd?sslmode=require")
        #expect(StoreDatabase(postgres: "postgresql://batchd@db/batchd").path == "postgresql://batchd@db/batchd")
        #expect(StoreDatabase(postgres: "host=/run/pg").path == "host=/run/pg")
        #expect(
            PostgresDialect.placeholders("SELECT '?', \"a?\" FROM t WHERE a = ? AND b = ?2 AND c = 'it''s ?'")
                == "SELECT '?', \"a?\" FROM t WHERE a = $1 AND b = $2 AND c = 'it''s ?'")
    }

    /// A column type as a kind of value: integer, text, bytes, or real.
    static func kind(_ type: String) -> String {
        switch type.lowercased() {
        case "integer", "bigint": return "integer"
        case "text": return "text"
        case "blob", "bytea": return "bytes"
        default: return type.lowercased()
        }
    }
}
