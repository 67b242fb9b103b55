/// Everything that can go wrong in the store layer. `BatchAPI` maps it to the
/// wire in one place: `.notFound` and `.conflict` are the client's business,
/// the rest are server faults.
public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// PostgreSQL's SQLSTATE for a character it cannot store (`character_not_in_repertoire`),
    /// also given before sending when a text value holds a NUL byte.
    public static let nulInTextState = "22021"

    /// SQLite said no: its result code and message.
    case sqlite(code: Int32, message: String)
    /// PostgreSQL said no: its SQLSTATE (`23505`, `40001`, …) and message.
    case postgres(sqlState: String, message: String)
    /// The database busy timeout ran out.
    case busy
    /// A row that had to exist does not.
    case notFound(String)
    /// A uniqueness or state rule was broken, e.g. a duplicate tenant name.
    case conflict(String)
    /// A tenant's quota would be exceeded: which one, its limit, and what is in use.
    case quotaExceeded(quota: String, limit: Int64, used: Int64)
    /// The database file is from a newer batchd than this one.
    case schemaTooNew(found: Int, known: Int)

    /// The database cannot be written (or read) at all: a read-only or full
    /// disk, an I/O error, a file gone or damaged. Not a bug in a request: the
    /// server is unavailable until an operator acts.
    public var isStorageFault: Bool {
        // PostgreSQL: connection lost (08…), the server shutting down, starting or
        // cancelling (57…: admin_shutdown, cannot_connect_now), disk full or I/O (53…, 58…).
        if case .postgres(let state, _) = self { return ["08", "53", "57", "58"].contains(String(state.prefix(2))) }
        guard case .sqlite(let code, _) = self else { return false }
        switch code & 0xFF {
        case 3, 8, 10, 11, 13, 14, 26: return true  // PERM, READONLY, IOERR, CORRUPT, FULL, CANTOPEN, NOTADB
        default: return false
        }
    }

    public var description: String {
        switch self {
        case .sqlite(let code, let message): return "sqlite error \(code): \(message)"
        case .postgres(let state, let message): return "postgres error \(state): \(message)"
        case .busy: return "database is busy"
        case .notFound(let what): return "\(what) not found"
        case .conflict(let what): return what
        case .quotaExceeded(let quota, let limit, let used): return "quota \(quota) of \(limit) would be exceeded (\(used) in use)"
        case .schemaTooNew(let found, let known): return "database schema version \(found) is newer than this batchd knows (\(known))"
        }
    }
}
