public import BatchCodecs

/// The documents batchd caches in Redis.
public enum CachedDocumentKind: String, Sendable, CaseIterable {
    /// Spec 000's status document (native).
    case status
    /// Spec 002's batch document (Check).
    case check
    /// Spec 004's batch document (Talonic).
    case talonic
}

/// How long each kind of status document may be cached, per batch state, with
/// per-tenant overrides. Seconds; 0 turns caching off for that cell.
///
/// Defaults: 30 s while a batch can still change on its own (accumulating,
/// created, running, paused) and 300 s once it is finished. Admins change
/// them through `PUT /v1/admin/cache` or `batchctl cache set`; the values live
/// in SQLite and every worker picks a change up within a second.
public struct CacheSettings: Sendable, Equatable {
    public typealias Table = [CachedDocumentKind: [BatchState: Int]]

    public static let maximumSeconds = 86_400
    public static let activeDefault = 30
    public static let finishedDefault = 300

    public var defaults: Table
    public var tenantOverrides: [String: Table]

    public init(defaults: Table = CacheSettings.builtInDefaults, tenantOverrides: [String: Table] = [:]) {
        self.defaults = defaults
        self.tenantOverrides = tenantOverrides
    }

    public static var builtInDefaults: Table {
        var table: Table = [:]
        for kind in CachedDocumentKind.allCases {
            var row: [BatchState: Int] = [:]
            for state in BatchState.allCases { row[state] = state.isFinal ? finishedDefault : activeDefault }
            table[kind] = row
        }
        return table
    }

    /// The TTL for a document of `kind` about a batch in `state` owned by `tenantID`.
    public func ttl(_ kind: CachedDocumentKind, state: BatchState, tenantID: String) -> Int {
        if let value = tenantOverrides[tenantID]?[kind]?[state] { return value }
        return defaults[kind]?[state] ?? (state.isFinal ? Self.finishedDefault : Self.activeDefault)
    }

    /// True when no state of `kind` is cached for the tenant: reads skip Redis entirely.
    public func isOff(_ kind: CachedDocumentKind, tenantID: String) -> Bool {
        BatchState.allCases.allSatisfy { ttl(kind, state: $0, tenantID: tenantID) == 0 }
    }

    // MARK: JSON

    /// A table as JSON: `{"status": {"running": 30, …}, "check": {…}, "talonic": {…}}`,
    /// states in their native names.
    public static func json(_ table: Table) -> JSONValue {
        var object = JSONObject()
        for kind in CachedDocumentKind.allCases {
            guard let row = table[kind], !row.isEmpty else { continue }
            var states = JSONObject()
            for state in BatchState.allCases { if let value = row[state] { states[state.nativeName] = .integer(value) } }
            object[kind.rawValue] = .object(states)
        }
        return .object(object)
    }

    /// Reads a table written by `json(_:)`; also accepts what admins send:
    /// kind `all`, and state groups `active` (not finished), `finished` and `all`.
    /// Returns the problem, naming the field, when the value cannot be used.
    public static func parseTable(_ value: JSONValue, field: String = "ttl") -> Result<Table, TableProblem> {
        guard case .object(let kinds) = value else { return .failure(TableProblem(field: field, reason: "must be an object")) }
        var table: Table = [:]
        for (kindName, statesValue) in kinds.pairs {
            let kinds: [CachedDocumentKind]
            if kindName == "all" {
                kinds = CachedDocumentKind.allCases
            } else if let kind = CachedDocumentKind(rawValue: kindName) {
                kinds = [kind]
            } else {
                return .failure(TableProblem(field: "\(field).\(kindName)", reason: "unknown document kind; use status, check, talonic or all"))
            }
            guard case .object(let states) = statesValue else {
                return .failure(TableProblem(field: "\(field).\(kindName)", reason: "must be an object of state: seconds"))
            }
            for (stateName, secondsValue) in states.pairs {
                let path = "\(field).\(kindName).\(stateName)"
                guard let states = Self.states(named: stateName) else {
                    return .failure(TableProblem(field: path, reason: "unknown state; use a batch state, active, finished or all"))
                }
                guard let seconds = secondsValue.intValue, (0...Int64(maximumSeconds)).contains(seconds) else {
                    return .failure(TableProblem(field: path, reason: "must be whole seconds from 0 (off) to \(maximumSeconds)"))
                }
                for kind in kinds {
                    for state in states { table[kind, default: [:]][state] = Int(seconds) }
                }
            }
        }
        return .success(table)
    }

    static func states(named name: String) -> [BatchState]? {
        switch name {
        case "all": return BatchState.allCases
        case "active": return BatchState.allCases.filter { !$0.isFinal }
        case "finished": return BatchState.allCases.filter(\.isFinal)
        default: return BatchState.allCases.first { $0.nativeName == name || $0.rawValue == name }.map { [$0] }
        }
    }

    /// `base` with every cell of `changes` written over it.
    public static func merge(_ base: Table, _ changes: Table) -> Table {
        var merged = base
        for (kind, row) in changes {
            for (state, seconds) in row { merged[kind, default: [:]][state] = seconds }
        }
        return merged
    }

    public struct TableProblem: Error, Sendable, Equatable {
        public var field: String
        public var reason: String
    }
}
