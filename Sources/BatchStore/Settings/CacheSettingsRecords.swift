import BatchCodecs
public import BatchModel

/// The cache TTLs admins set, in the `settings` table: scope `cache`, key
/// `defaults` for the server-wide table and `tenant:<id>` for each tenant's
/// overrides, each a JSON table as `CacheSettings.json` writes it. What was
/// never set falls back to the built-in defaults.
public struct CacheSettingsRecords {
    static let scope = "cache"
    let connection: any StoreConnection

    public init(_ connection: any StoreConnection) { self.connection = connection }

    public func load() throws(StoreError) -> CacheSettings {
        var settings = CacheSettings()
        for (key, value) in try SettingsRecords(connection).all(scope: Self.scope) {
            // A row that no longer parses (written by hand, say) is skipped, not fatal.
            guard let json = try? JSONParser.parse(Array(value.utf8)), case .success(let table) = CacheSettings.parseTable(json) else { continue }
            if key == "defaults" {
                settings.defaults = CacheSettings.merge(CacheSettings.builtInDefaults, table)
            } else if key.hasPrefix("tenant:") {
                settings.tenantOverrides[String(key.dropFirst("tenant:".count))] = table
            }
        }
        return settings
    }

    /// Writes `changes` over the stored table (server-wide when `tenantID` is nil).
    public func apply(_ changes: CacheSettings.Table, tenantID: String?) throws(StoreError) {
        try connection.transaction { () throws(StoreError) in
            let current = try load()
            let base = tenantID.map { current.tenantOverrides[$0] ?? [:] } ?? current.defaults
            let merged = CacheSettings.merge(base, changes)
            let text = JSONWriter.string(CacheSettings.json(merged))
            try SettingsRecords(connection).set(scope: Self.scope, key: tenantID.map { "tenant:" + $0 } ?? "defaults", value: text)
            try bumpGeneration()
        }
    }

    /// Drops a tenant's overrides, or (nil) puts the server-wide table back to the built-in defaults.
    public func reset(tenantID: String?) throws(StoreError) {
        try connection.transaction { () throws(StoreError) in
            try SettingsRecords(connection).delete(scope: Self.scope, key: tenantID.map { "tenant:" + $0 } ?? "defaults")
            try bumpGeneration()
        }
    }

    /// A number that grows with every change to the cache settings: workers
    /// poll it (one indexed read) and reload only when it moved.
    public func generation() throws(StoreError) -> Int {
        Int(try SettingsRecords(connection).value(scope: Self.scope, key: "generation") ?? "0") ?? 0
    }

    private func bumpGeneration() throws(StoreError) {
        try SettingsRecords(connection).set(scope: Self.scope, key: "generation", value: String(try generation() + 1))
    }
}
