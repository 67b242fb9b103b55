/// The database schema as numbered migrations. `PRAGMA user_version` records how
/// many have been applied; each runs once, in its own transaction, at start.
///
/// Never edit a migration that has shipped: append a new one. Later issues add
/// columns rather than redesign tables, which is why migration 1 already holds
/// the counters, leases and idempotency records batches will need.
public enum Migrations {
    public static let all: [String] = [
        migration1, migration2, migration3, migration4, migration5, migration6, migration7, migration8, migration9, migration10,
        migration11,
    ]

    public static var latestVersion: Int { all.count }

    /// Applies every migration the database has not seen yet.
    /// Throws `.schemaTooNew` for a database written by a newer batchd.
    public static func apply(to connection: SQLiteConnection) throws(StoreError) {
        let version = try currentVersion(of: connection)
        if version > latestVersion { throw .schemaTooNew(found: version, known: latestVersion) }
        guard version < latestVersion else { return }
        for (index, sql) in all.enumerated() where index >= version {
            try connection.transaction {
                () throws(StoreError) in
                // Re-check inside the write lock: another process may have migrated meanwhile.
                let now = try currentVersion(of: connection)
                guard now == index else { return }
                try connection.execute(sql)
                try connection.execute("PRAGMA user_version = \(index + 1)")
            }
        }
    }

    public static func currentVersion(of connection: SQLiteConnection) throws(StoreError) -> Int {
        let statement = try connection.statement("PRAGMA user_version")
        return Int(try statement.firstRow { $0.int(0) } ?? 0)
    }

    /// Custom ids unique within a batch; listing by state; round-robin claiming.
    static let migration2 = """
        CREATE UNIQUE INDEX items_custom_id ON items(batch_id, custom_id) WHERE custom_id IS NOT NULL;
        CREATE INDEX batches_tenant_status ON batches(tenant_id, status, created_at, id);
        ALTER TABLE batches ADD COLUMN last_claimed_at INTEGER NOT NULL DEFAULT 0;
        """

    /// Completion webhooks: when the next delivery attempt is due, and why the last failed.
    static let migration3 = """
        ALTER TABLE batches ADD COLUMN webhook_next_at INTEGER;
        ALTER TABLE batches ADD COLUMN webhook_last_error TEXT;
        """

    /// How a batch was created (Check's `inputFormat`).
    static let migration4 = """
        ALTER TABLE batches ADD COLUMN input_format TEXT NOT NULL DEFAULT 'json';
        """

    /// How often the process running an item died while it ran (poison items).
    static let migration5 = """
        ALTER TABLE items ADD COLUMN crashes INTEGER NOT NULL DEFAULT 0;
        """

    /// Roles that say what they do: `operator` (every tenant, server settings) apart
    /// from a tenant's own `admin`. Every admin key so far acted on every tenant, so
    /// each becomes an operator key. (SQLite cannot change a CHECK: the table is rebuilt.)
    static let migration7 = """
        CREATE TABLE api_keys_new (
            id          TEXT PRIMARY KEY,
            tenant_id   TEXT NOT NULL REFERENCES tenants(id),
            name        TEXT NOT NULL DEFAULT '',
            prefix      TEXT NOT NULL,
            hash        TEXT NOT NULL UNIQUE,
            role        TEXT NOT NULL CHECK (role IN ('client', 'admin', 'operator')),
            created_at  INTEGER NOT NULL,
            revoked_at  INTEGER
        ) STRICT;
        INSERT INTO api_keys_new (id, tenant_id, name, prefix, hash, role, created_at, revoked_at)
            SELECT id, tenant_id, name, prefix, hash, CASE role WHEN 'admin' THEN 'operator' ELSE role END, created_at, revoked_at FROM api_keys;
        DROP TABLE api_keys;
        ALTER TABLE api_keys_new RENAME TO api_keys;
        CREATE INDEX api_keys_tenant ON api_keys(tenant_id);
        """

    /// The tenant large creates are staged under (`StagingTenant`).
    static let migration8 = """
        INSERT INTO tenants (id, name, created_at) VALUES ('ten-staging0000000000', '.staging', 0);
        """

    /// The claim cursor: no item of the batch below this `seq` is pending, so a
    /// claim starts there (on PostgreSQL the claimed items' index entries stay
    /// until vacuum, and a scan from the start of a large batch would walk them all).
    static let migration9 = """
        ALTER TABLE batches ADD COLUMN claim_from INTEGER NOT NULL DEFAULT 0;
        """

    /// Lease checks (`LeaseChecks`) instead of the indexes on item states: no index
    /// on `items` names a column a claim or a completion changes, so on PostgreSQL
    /// those updates are heap-only (no index entry written) and only the claim
    /// cursor finds pending items. Leases held when this runs get one check a batch.
    static let migration11 = """
        DROP INDEX items_claimable;
        DROP INDEX items_leases;
        CREATE TABLE lease_checks (
            id         INTEGER PRIMARY KEY,
            batch_id   TEXT NOT NULL,
            first_seq  INTEGER NOT NULL,
            last_seq   INTEGER NOT NULL,
            check_at   INTEGER NOT NULL
        );
        CREATE INDEX lease_checks_due ON lease_checks(check_at);
        INSERT INTO lease_checks (batch_id, first_seq, last_seq, check_at)
            SELECT batch_id, min(seq), max(seq), min(lease_until) FROM items WHERE status = 'processing' GROUP BY batch_id;
        """

    /// Seals of finished items (`FinishSeals`): the `?state=finished` results view's
    /// cursor. Only sealed items are in the index, and an item is sealed only when a
    /// reader asks, so completions do not maintain it.
    static let migration10 = """
        ALTER TABLE batches ADD COLUMN finish_seal INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE items ADD COLUMN finish_seq INTEGER;
        CREATE INDEX items_sealed ON items(batch_id, finish_seq, seq) WHERE finish_seq IS NOT NULL;
        """

    /// Finding the item that owns an upload blob (`OrphanBlobSweep`).
    static let migration6 = """
        CREATE INDEX items_blob_path ON items(blob_path) WHERE blob_path IS NOT NULL;
        """

    static let migration1 = """
        CREATE TABLE tenants (
            id               TEXT PRIMARY KEY,
            name             TEXT NOT NULL UNIQUE,
            created_at       INTEGER NOT NULL,
            rate_limit       INTEGER NOT NULL DEFAULT 1000,
            rate_window      INTEGER NOT NULL DEFAULT 3600,
            rate_burst       INTEGER NOT NULL DEFAULT 100,
            write_rate_limit INTEGER,
            max_batches      INTEGER,
            max_items        INTEGER,
            max_bytes        INTEGER
        ) STRICT;

        CREATE TABLE api_keys (
            id          TEXT PRIMARY KEY,
            tenant_id   TEXT NOT NULL REFERENCES tenants(id),
            name        TEXT NOT NULL DEFAULT '',
            prefix      TEXT NOT NULL,
            hash        TEXT NOT NULL UNIQUE,
            role        TEXT NOT NULL CHECK (role IN ('client', 'admin')),
            created_at  INTEGER NOT NULL,
            revoked_at  INTEGER
        ) STRICT;
        CREATE INDEX api_keys_tenant ON api_keys(tenant_id);

        CREATE TABLE batches (
            id                 TEXT PRIMARY KEY,
            tenant_id          TEXT NOT NULL REFERENCES tenants(id),
            name               TEXT NOT NULL DEFAULT '',
            collection         TEXT NOT NULL DEFAULT 'default',
            processor          TEXT NOT NULL DEFAULT 'ingest',
            status             TEXT NOT NULL,
            priority           INTEGER NOT NULL DEFAULT 1,
            max_concurrent     INTEGER NOT NULL DEFAULT 5,
            timeout_seconds    INTEGER NOT NULL DEFAULT 3600,
            notification_url   TEXT,
            completion_window  INTEGER,
            retention_days     INTEGER NOT NULL DEFAULT 30,
            force_overwrite    INTEGER NOT NULL DEFAULT 0,
            configuration      TEXT NOT NULL DEFAULT '{}',
            context            TEXT,
            error_message      TEXT,
            validation_errors  TEXT,
            version            INTEGER NOT NULL DEFAULT 1,
            created_at         INTEGER NOT NULL,
            started_at         INTEGER,
            updated_at         INTEGER NOT NULL,
            completed_at       INTEGER,
            expires_at         INTEGER,
            total_items        INTEGER NOT NULL DEFAULT 0,
            next_seq           INTEGER NOT NULL DEFAULT 1,
            n_pending          INTEGER NOT NULL DEFAULT 0,
            n_processing       INTEGER NOT NULL DEFAULT 0,
            n_succeeded        INTEGER NOT NULL DEFAULT 0,
            n_failed           INTEGER NOT NULL DEFAULT 0,
            n_cancelled        INTEGER NOT NULL DEFAULT 0,
            n_expired          INTEGER NOT NULL DEFAULT 0,
            total_bytes        INTEGER NOT NULL DEFAULT 0,
            item_time_ms       INTEGER NOT NULL DEFAULT 0,
            cost_cents         INTEGER NOT NULL DEFAULT 0,
            input_tokens       INTEGER NOT NULL DEFAULT 0,
            output_tokens      INTEGER NOT NULL DEFAULT 0,
            webhook_attempts   INTEGER NOT NULL DEFAULT 0,
            webhook_status     TEXT
        ) STRICT;
        CREATE INDEX batches_tenant_created ON batches(tenant_id, created_at, id);
        CREATE INDEX batches_runnable ON batches(status, priority) WHERE status IN ('queued', 'running');

        CREATE TABLE items (
            id             TEXT PRIMARY KEY,
            batch_id       TEXT NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
            seq            INTEGER NOT NULL,
            custom_id      TEXT,
            filename       TEXT,
            file_path      TEXT,
            blob_path      TEXT,
            content        BLOB,
            context        TEXT,
            media_type     TEXT,
            size_bytes     INTEGER NOT NULL DEFAULT 0,
            status         TEXT NOT NULL,
            lease_owner    TEXT,
            lease_until    INTEGER,
            attempt        INTEGER NOT NULL DEFAULT 0,
            started_at     INTEGER,
            completed_at   INTEGER,
            duration_ms    INTEGER,
            result         TEXT,
            error_type     TEXT,
            error_message  TEXT,
            error_details  TEXT,
            media_id       TEXT,
            cost_cents     INTEGER NOT NULL DEFAULT 0,
            input_tokens   INTEGER NOT NULL DEFAULT 0,
            output_tokens  INTEGER NOT NULL DEFAULT 0,
            UNIQUE (batch_id, seq)
        ) STRICT;
        CREATE INDEX items_claimable ON items(batch_id, status, seq) WHERE status = 'pending';
        CREATE INDEX items_leases ON items(lease_until) WHERE status = 'processing';

        CREATE TABLE media (
            id          TEXT PRIMARY KEY,
            tenant_id   TEXT NOT NULL REFERENCES tenants(id),
            collection  TEXT NOT NULL,
            batch_id    TEXT,
            item_id     TEXT,
            media_type  TEXT NOT NULL,
            mime        TEXT NOT NULL,
            filename    TEXT,
            size_bytes  INTEGER NOT NULL,
            sha256      TEXT NOT NULL,
            metadata    TEXT NOT NULL DEFAULT '{}',
            created_at  INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX media_collection ON media(tenant_id, collection, created_at, id);
        CREATE INDEX media_hash ON media(tenant_id, collection, sha256);

        CREATE TABLE batch_media_counts (
            batch_id    TEXT NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
            media_type  TEXT NOT NULL,
            count       INTEGER NOT NULL DEFAULT 0,
            bytes       INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (batch_id, media_type)
        ) STRICT, WITHOUT ROWID;

        CREATE TABLE batch_errors (
            batch_id        TEXT NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
            error_type      TEXT NOT NULL,
            count           INTEGER NOT NULL DEFAULT 0,
            affected_files  TEXT NOT NULL DEFAULT '[]',
            PRIMARY KEY (batch_id, error_type)
        ) STRICT, WITHOUT ROWID;

        CREATE TABLE settings (
            scope       TEXT NOT NULL,
            key         TEXT NOT NULL,
            value       TEXT NOT NULL,
            updated_at  INTEGER NOT NULL,
            PRIMARY KEY (scope, key)
        ) STRICT, WITHOUT ROWID;

        CREATE TABLE idempotency_keys (
            tenant_id     TEXT NOT NULL REFERENCES tenants(id),
            key           TEXT NOT NULL,
            request_hash  TEXT NOT NULL,
            status        INTEGER,
            response      BLOB,
            batch_id      TEXT,
            created_at    INTEGER NOT NULL,
            PRIMARY KEY (tenant_id, key)
        ) STRICT, WITHOUT ROWID;
        CREATE INDEX idempotency_created ON idempotency_keys(created_at);
        """
}
