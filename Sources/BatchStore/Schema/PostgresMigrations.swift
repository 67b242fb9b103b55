/// The PostgreSQL schema as numbered migrations: the same tables, columns and
/// indexes as SQLite's (`Migrations`, after all of its steps), in PostgreSQL's
/// types (`bigint` for integers, `bytea` for blobs). `schema_migrations` records
/// what has been applied; nodes starting at once take an advisory lock, so each
/// migration runs once, in its own transaction.
///
/// Never edit a migration that has shipped: append one, here and in `Migrations`.
public enum PostgresMigrations {
    public static let all: [String] = [migration1, migration2, migration3, migration4]

    public static var latestVersion: Int { all.count }

    /// An arbitrary constant: the advisory lock every node takes while migrating.
    static let lockKey = 0x6261_7463_6864  // "batchd"

    /// Applies every migration the database has not seen yet.
    /// Throws `.schemaTooNew` for a database written by a newer batchd.
    public static func apply(to connection: PostgresConnection) throws(StoreError) {
        try connection.transaction {
            () throws(StoreError) in
            try connection.query("SELECT pg_advisory_xact_lock($1::bigint)", [.int(lockKey)])
            try connection.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version bigint PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())")
            let version = try currentVersion(of: connection)
            if version > latestVersion { throw .schemaTooNew(found: version, known: latestVersion) }
            for (index, sql) in all.enumerated() where index >= version {
                try connection.execute(sql)
                try connection.query("INSERT INTO schema_migrations (version) VALUES ($1::bigint)", [.int(index + 1)])
            }
        }
    }

    public static func currentVersion(of connection: PostgresConnection) throws(StoreError) -> Int {
        Int(try connection.query("SELECT coalesce(max(version), 0) FROM schema_migrations").int(0, 0) ?? 0)
    }

    /// `Migrations.migration11`: lease checks instead of the indexes on item
    /// states, so claims and completions are heap-only updates; `fillfactor`
    /// leaves each page of items the room for the new versions a claim of
    /// consecutive items and their completions write beside the old ones.
    static let migration4 = """
        DROP INDEX items_claimable;
        DROP INDEX items_leases;
        CREATE TABLE lease_checks (
            id         bigserial PRIMARY KEY,
            batch_id   text NOT NULL,
            first_seq  bigint NOT NULL,
            last_seq   bigint NOT NULL,
            check_at   bigint NOT NULL
        );
        CREATE INDEX lease_checks_due ON lease_checks(check_at);
        INSERT INTO lease_checks (batch_id, first_seq, last_seq, check_at)
            SELECT batch_id, min(seq), max(seq), min(lease_until) FROM items WHERE status = 'processing' GROUP BY batch_id;
        ALTER TABLE items SET (fillfactor = 50);
        """

    /// `Migrations.migration10`: seals of finished items.
    static let migration3 = """
        ALTER TABLE batches ADD COLUMN finish_seal bigint NOT NULL DEFAULT 0;
        ALTER TABLE items ADD COLUMN finish_seq bigint;
        CREATE INDEX items_sealed ON items(batch_id, finish_seq, seq) WHERE finish_seq IS NOT NULL;
        """

    /// `Migrations.migration9`: the claim cursor.
    static let migration2 = """
        ALTER TABLE batches ADD COLUMN claim_from bigint NOT NULL DEFAULT 0;
        """

    static let migration1 = """
        CREATE TABLE tenants (
            id               text PRIMARY KEY,
            name             text NOT NULL UNIQUE,
            created_at       bigint NOT NULL,
            rate_limit       bigint NOT NULL DEFAULT 1000,
            rate_window      bigint NOT NULL DEFAULT 3600,
            rate_burst       bigint NOT NULL DEFAULT 100,
            write_rate_limit bigint,
            max_batches      bigint,
            max_items        bigint,
            max_bytes        bigint
        );
        INSERT INTO tenants (id, name, created_at) VALUES ('ten-staging0000000000', '.staging', 0);

        CREATE TABLE api_keys (
            id          text PRIMARY KEY,
            tenant_id   text NOT NULL REFERENCES tenants(id),
            name        text NOT NULL DEFAULT '',
            prefix      text NOT NULL,
            hash        text NOT NULL UNIQUE,
            role        text NOT NULL CHECK (role IN ('client', 'admin', 'operator')),
            created_at  bigint NOT NULL,
            revoked_at  bigint
        );
        CREATE INDEX api_keys_tenant ON api_keys(tenant_id);

        CREATE TABLE batches (
            id                 text PRIMARY KEY,
            tenant_id          text NOT NULL REFERENCES tenants(id),
            name               text NOT NULL DEFAULT '',
            collection         text NOT NULL DEFAULT 'default',
            processor          text NOT NULL DEFAULT 'ingest',
            status             text NOT NULL,
            priority           bigint NOT NULL DEFAULT 1,
            max_concurrent     bigint NOT NULL DEFAULT 5,
            timeout_seconds    bigint NOT NULL DEFAULT 3600,
            notification_url   text,
            completion_window  bigint,
            retention_days     bigint NOT NULL DEFAULT 30,
            force_overwrite    bigint NOT NULL DEFAULT 0,
            configuration      text NOT NULL DEFAULT '{}',
            context            text,
            error_message      text,
            validation_errors  text,
            version            bigint NOT NULL DEFAULT 1,
            created_at         bigint NOT NULL,
            started_at         bigint,
            updated_at         bigint NOT NULL,
            completed_at       bigint,
            expires_at         bigint,
            total_items        bigint NOT NULL DEFAULT 0,
            next_seq           bigint NOT NULL DEFAULT 1,
            n_pending          bigint NOT NULL DEFAULT 0,
            n_processing       bigint NOT NULL DEFAULT 0,
            n_succeeded        bigint NOT NULL DEFAULT 0,
            n_failed           bigint NOT NULL DEFAULT 0,
            n_cancelled        bigint NOT NULL DEFAULT 0,
            n_expired          bigint NOT NULL DEFAULT 0,
            total_bytes        bigint NOT NULL DEFAULT 0,
            item_time_ms       bigint NOT NULL DEFAULT 0,
            cost_cents         bigint NOT NULL DEFAULT 0,
            input_tokens       bigint NOT NULL DEFAULT 0,
            output_tokens      bigint NOT NULL DEFAULT 0,
            webhook_attempts   bigint NOT NULL DEFAULT 0,
            webhook_status     text,
            last_claimed_at    bigint NOT NULL DEFAULT 0,
            webhook_next_at    bigint,
            webhook_last_error text,
            input_format       text NOT NULL DEFAULT 'json'
        );
        CREATE INDEX batches_tenant_created ON batches(tenant_id, created_at, id);
        CREATE INDEX batches_runnable ON batches(status, priority) WHERE status IN ('queued', 'running');
        CREATE INDEX batches_tenant_status ON batches(tenant_id, status, created_at, id);

        CREATE TABLE items (
            id             text PRIMARY KEY,
            batch_id       text NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
            seq            bigint NOT NULL,
            custom_id      text,
            filename       text,
            file_path      text,
            blob_path      text,
            content        bytea,
            context        text,
            media_type     text,
            size_bytes     bigint NOT NULL DEFAULT 0,
            status         text NOT NULL,
            lease_owner    text,
            lease_until    bigint,
            attempt        bigint NOT NULL DEFAULT 0,
            started_at     bigint,
            completed_at   bigint,
            duration_ms    bigint,
            result         text,
            error_type     text,
            error_message  text,
            error_details  text,
            media_id       text,
            cost_cents     bigint NOT NULL DEFAULT 0,
            input_tokens   bigint NOT NULL DEFAULT 0,
            output_tokens  bigint NOT NULL DEFAULT 0,
            crashes        bigint NOT NULL DEFAULT 0,
            UNIQUE (batch_id, seq)
        );
        CREATE INDEX items_claimable ON items(batch_id, status, seq) WHERE status = 'pending';
        CREATE INDEX items_leases ON items(lease_until) WHERE status = 'processing';
        CREATE UNIQUE INDEX items_custom_id ON items(batch_id, custom_id) WHERE custom_id IS NOT NULL;
        CREATE INDEX items_blob_path ON items(blob_path) WHERE blob_path IS NOT NULL;
        -- Items are written once and updated a few times each, in bursts: vacuum
        -- them after 2% of the table changed rather than 20%, so dead versions of
        -- claimed rows do not slow the claim's index scans.
        ALTER TABLE items SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02,
            autovacuum_vacuum_insert_scale_factor = 0.05);

        CREATE TABLE media (
            id          text PRIMARY KEY,
            tenant_id   text NOT NULL REFERENCES tenants(id),
            collection  text NOT NULL,
            batch_id    text,
            item_id     text,
            media_type  text NOT NULL,
            mime        text NOT NULL,
            filename    text,
            size_bytes  bigint NOT NULL,
            sha256      text NOT NULL,
            metadata    text NOT NULL DEFAULT '{}',
            created_at  bigint NOT NULL
        );
        CREATE INDEX media_collection ON media(tenant_id, collection, created_at, id);
        CREATE INDEX media_hash ON media(tenant_id, collection, sha256);

        CREATE TABLE batch_media_counts (
            batch_id    text NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
            media_type  text NOT NULL,
            count       bigint NOT NULL DEFAULT 0,
            bytes       bigint NOT NULL DEFAULT 0,
            PRIMARY KEY (batch_id, media_type)
        );

        CREATE TABLE batch_errors (
            batch_id        text NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
            error_type      text NOT NULL,
            count           bigint NOT NULL DEFAULT 0,
            affected_files  text NOT NULL DEFAULT '[]',
            PRIMARY KEY (batch_id, error_type)
        );

        CREATE TABLE settings (
            scope       text NOT NULL,
            key         text NOT NULL,
            value       text NOT NULL,
            updated_at  bigint NOT NULL,
            PRIMARY KEY (scope, key)
        );

        CREATE TABLE idempotency_keys (
            tenant_id     text NOT NULL REFERENCES tenants(id),
            key           text NOT NULL,
            request_hash  text NOT NULL,
            status        bigint,
            response      bytea,
            batch_id      text,
            created_at    bigint NOT NULL,
            PRIMARY KEY (tenant_id, key)
        );
        CREATE INDEX idempotency_created ON idempotency_keys(created_at);
        """
}
