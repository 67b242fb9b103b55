public import BatchModel

/// Server settings kept in SQLite (`settings` table), by scope and key.
public struct SettingsRecords {
    let connection: any StoreConnection

    public init(_ connection: any StoreConnection) { self.connection = connection }

    public func value(scope: String, key: String) throws(StoreError) -> String? {
        try connection.statement("SELECT value FROM settings WHERE scope = ? AND key = ?").bind(.text(scope), .text(key)).firstRow { $0.text(0) }
    }

    /// The stored value, or `make()`'s, stored first if the key was empty. Safe
    /// under concurrent callers: the first writer wins and everyone reads its value.
    public func value(scope: String, key: String, orInsert make: () -> String) throws(StoreError) -> String {
        try connection.transaction {
            () throws(StoreError) -> String in
            try connection.statement("INSERT INTO settings (scope, key, value, updated_at) VALUES (?,?,?,?) ON CONFLICT (scope, key) DO NOTHING")
                .bind(.text(scope), .text(key), .text(make()), .integer(Timestamp.now().milliseconds)).run()
            return try value(scope: scope, key: key) ?? ""
        }
    }

    /// Stores `value` under scope and key, replacing what was there.
    public func set(scope: String, key: String, value: String, now: Timestamp = .now()) throws(StoreError) {
        try connection.statement(
            "INSERT INTO settings (scope, key, value, updated_at) VALUES (?,?,?,?) ON CONFLICT (scope, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at"
        ).bind(.text(scope), .text(key), .text(value), .integer(now.milliseconds)).run()
    }

    /// Commits a one-row write (`health`/`probe`, the time), to learn that the
    /// database takes writes: readiness, not just a read.
    public func recordProbe(now: Timestamp = .now()) throws(StoreError) {
        try connection.transaction { () throws(StoreError) in try set(scope: "health", key: "probe", value: now.iso8601, now: now) }
    }

    public func delete(scope: String, key: String) throws(StoreError) {
        try connection.statement("DELETE FROM settings WHERE scope = ? AND key = ?").bind(.text(scope), .text(key)).run()
    }

    /// Every key and value of a scope.
    public func all(scope: String) throws(StoreError) -> [(key: String, value: String)] {
        try connection.statement("SELECT key, value FROM settings WHERE scope = ? ORDER BY key").bind(.text(scope)).rows { ($0.text(0), $0.text(1)) }
    }
}
