public import BatchModel
public import BatchStore
import Synchronization

/// The cache TTLs in force in this process, shared by every worker. A
/// refresher (batchd runs one thread for it) calls `refresh` four times a
/// second; it reloads from SQLite only when the settings' generation moved, so
/// a change made by any process (the API or `batchctl`) is in use everywhere
/// within a second, and requests never touch SQLite for it.
public final class CacheSettingsCell: Sendable {
    private struct State {
        var settings = CacheSettings()
        var generation = -1
    }

    private let state = Mutex(State())
    /// Bumped after every reload: workers compare it (one atomic load) and copy
    /// the settings only when it moved, so requests never take the lock.
    private let revision = Atomic<Int>(0)

    public init() {}

    public var currentRevision: Int { revision.load(ordering: .acquiring) }

    /// The settings with the revision they belong to.
    public func snapshot() -> (CacheSettings, Int) {
        state.withLock { state in (state.settings, revision.load(ordering: .acquiring)) }
    }

    /// Reloads when the stored generation differs from the loaded one. A SQLite
    /// failure keeps the last settings (caching must not fail requests) and
    /// returns the error for the caller to log.
    @discardableResult
    public func refresh(_ connection: any StoreConnection) -> StoreError? {
        do throws(StoreError) {
            let records = CacheSettingsRecords(connection)
            let stored = try records.generation()
            guard stored != state.withLock({ $0.generation }) else { return nil }
            let loaded = try records.load()
            state.withLock { state in
                state.settings = loaded
                state.generation = stored
                revision.add(1, ordering: .releasing)
            }
            return nil
        } catch {
            return error
        }
    }
}
