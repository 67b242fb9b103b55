import BatchCodecs
public import BatchModel
import CLibPQ

/// One libpq connection to PostgreSQL, owned by one thread (as a SQLite
/// connection and a hiredis context are). Statements with parameters are
/// prepared once per connection, keyed by their text, and run with text-format
/// parameters and results; `execute` sends statements without parameters as
/// one simple query.
///
/// After a connection-level failure (server gone, network, admin shutdown) the
/// connection is unusable: every later call throws, and the caller opens a new
/// one, as it does after a SQLite error.
public final class PostgresConnection: StoreConnection {
    private let handle: OpaquePointer
    /// Statement text → the name it was prepared under on this connection.
    private var prepared: [String: String] = [:]
    /// The store's SQL (`?`, `?N` parameters) → PostgreSQL's (`$N`).
    private var translated: [String: String] = [:]
    public private(set) var changes = 0
    /// Statements `enqueue` queued, waiting to go with the next statement; before
    /// them the transaction's BEGIN while `beginPending`.
    private var queue: [PostgresRequest] = []
    /// What reads the results of queued statements (`enqueueReading`), by their index in `queue`.
    private var readers: [Int: (PostgresRows) -> Void] = [:]
    private var beginPending = false
    private var queuedBytes = 0
    /// Exchanges with the server so far (one statement alone, or one pipeline):
    /// what pipelining saves, counted.
    public private(set) var roundTrips = 0
    private var inTransaction = false
    public var changedBatches: [BatchIdentity: Int] = [:]
    public var dialect: StoreDialect { .postgres }
    public func migrate() throws(StoreError) { try PostgresMigrations.apply(to: self) }

    /// Opens a connection with a libpq connection string (`host=/run/pg dbname=batchd user=batchd`)
    /// or URI; fails with the server's or libpq's message.
    public init(_ conninfo: String) throws(StoreError) {
        guard let connection = PQconnectdb(conninfo) else { throw .postgres(sqlState: "08000", message: "out of memory") }
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = Self.trimmed(PQerrorMessage(connection))
            PQfinish(connection)
            throw .postgres(sqlState: "08001", message: message)
        }
        // libpq prints server notices ("relation … already exists, skipping") to
        // standard error by default: batchd logs what matters, and batchctl's output
        // is read by scripts.
        PQsetNoticeProcessor(connection, { _, _ in }, nil)
        handle = connection
    }

    deinit { PQfinish(handle) }

    /// Whether the connection still works as far as libpq knows.
    public var isOpen: Bool { PQstatus(handle) == CONNECTION_OK }

    /// Known dead (after a failed call found the server gone).
    public var isBroken: Bool { !isOpen }

    /// Runs `sql` (one or more statements, no parameters) and drops any rows.
    public func execute(_ sql: String) throws(StoreError) {
        try flushQueue()
        roundTrips += 1
        let result = PQexec(handle, sql)
        defer { PQclear(result) }
        try check(result)
    }

    /// Runs one statement with `parameters` (`$1`, `$2`, …), preparing it on first
    /// use on this connection, and returns its rows.
    @discardableResult
    public func query(_ sql: String, _ parameters: [SQLiteValue] = []) throws(StoreError) -> PostgresRows {
        let request = try prepared(sql, parameters)
        // Whatever waits (a BEGIN, statements queued by `enqueue`) goes in the same
        // exchange: one round trip, not one each.
        let (pending, readers) = takePending()
        let result = try exchange(pending + [request], readers: readers)
        defer { PQclear(result) }
        changes = Int(String(cString: PQcmdTuples(result))) ?? 0
        return PostgresRows(result)
    }

    /// Queues one statement to be sent with the next statement or the commit, in
    /// a transaction; runs it at once outside one. Its error surfaces from the
    /// call it is sent with, still inside the transaction (which then rolls back).
    func enqueue(_ sql: String, _ parameters: [SQLiteValue], reader: ((PostgresRows) -> Void)? = nil) throws(StoreError) {
        guard inTransaction else {
            let rows = try query(sql, parameters)
            reader?(rows)
            return
        }
        let request = try prepared(sql, parameters)
        if let reader { readers[queue.count] = reader }
        queue.append(request)
        queuedBytes += request.size
        // A bounded pipeline: the server's replies to what is queued (a few bytes
        // each) are read only after all of it is sent, so a long queue could fill
        // both sockets' buffers and stall both sides; and values are held until sent.
        if queue.count >= Self.maxQueued || queuedBytes >= Self.maxQueuedBytes { try flushQueue() }
    }

    /// The most statements, and bytes of values, `enqueue` holds before sending.
    static let maxQueued = 256
    static let maxQueuedBytes = 1 << 20

    public func sendQueued() throws(StoreError) {
        if !queue.isEmpty { try flushQueue() }
    }

    /// Sends what waits, if anything.
    private func flushQueue() throws(StoreError) {
        let (requests, readers) = takePending()
        guard !requests.isEmpty else { return }
        PQclear(try exchange(requests, readers: readers))
    }

    /// What waits to be sent (a BEGIN first), no longer waiting, with the
    /// readers of its results by index.
    private func takePending() -> (requests: [PostgresRequest], readers: [Int: (PostgresRows) -> Void]) {
        defer {
            beginPending = false
            queue = []
            readers = [:]
            queuedBytes = 0
        }
        let offset = beginPending ? 1 : 0
        return ((beginPending ? [.command("BEGIN")] : []) + queue, Dictionary(uniqueKeysWithValues: readers.map { ($0.key + offset, $0.value) }))
    }

    /// `sql` prepared on this connection with `parameters` in text format.
    private func prepared(_ sql: String, _ parameters: [SQLiteValue]) throws(StoreError) -> PostgresRequest {
        // PostgreSQL text cannot hold NUL, and a C string would end there: refuse
        // rather than store a shortened value.
        if parameters.contains(where: { if case .text(let text) = $0 { text.utf8.contains(0) } else { false } }) {
            throw .postgres(sqlState: StoreError.nulInTextState, message: "a text value contains a NUL byte")
        }
        // Preparing (a round trip, once per connection) runs nothing, so it may
        // go ahead of what is queued.
        let name = try statementName(for: sql, count: parameters.count)
        // Text-format parameters, which the server reads as whatever type the
        // statement gives the parameter: integers in decimal, bytes as bytea hex.
        let buffers: [[UInt8]] = parameters.map { parameter in
            switch parameter {
            case .null: return []
            case .integer(let value): return Array(String(value).utf8)
            case .real(let value): return Array("\(value)".utf8)
            case .text(let value): return Array(value.utf8)
            case .blob(let value): return Array(("\\x" + Hex.encode(value)).utf8)
            }
        }
        return .prepared(name: name, values: buffers, nulls: parameters.map { $0 == .null })
    }

    /// Runs `requests` in order and returns the last one's result (the caller
    /// clears it). One request goes alone; several go in pipeline mode: all sent,
    /// then one sync, then every result read. The first failure is thrown after
    /// the pipeline is read to its end, so the connection stays usable.
    /// `readers` get the results of the requests at their indexes (not the last's).
    private func exchange(_ requests: [PostgresRequest], readers: [Int: (PostgresRows) -> Void] = [:]) throws(StoreError) -> OpaquePointer? {
        roundTrips += 1
        if requests.count == 1, let request = requests.first {
            let result = run(request)
            do { try check(result) } catch {
                PQclear(result)
                throw error
            }
            readers[0].map { $0(PostgresRows(result)) }
            return result
        }
        guard PQenterPipelineMode(handle) == 1 else { throw connectionError() }
        for request in requests where !sendPipelined(request) {
            _ = PQpipelineSync(handle)
            throw connectionError()
        }
        guard PQpipelineSync(handle) == 1 else { throw connectionError() }
        var failure: StoreError?
        var last: OpaquePointer?
        for index in requests.indices {
            // Each request's result, then the NULL that ends it.
            let result = PQgetResult(handle)
            guard result != nil else { throw connectionError() }
            while let extra = PQgetResult(handle) { PQclear(extra) }
            if failure == nil {
                do {
                    try check(result)
                    readers[index].map { $0(PostgresRows(result)) }
                } catch { failure = error }
            }
            if index == requests.count - 1 && failure == nil { last = result } else { PQclear(result) }
        }
        // The sync's own result, then back to one statement at a time.
        while let result = PQgetResult(handle) {
            let status = PQresultStatus(result)
            PQclear(result)
            if status == PGRES_PIPELINE_SYNC { break }
        }
        guard PQexitPipelineMode(handle) == 1 else {
            PQclear(last)
            throw connectionError()
        }
        if let failure { throw failure }
        return last
    }

    /// Runs `request` and returns its result.
    private func run(_ request: PostgresRequest) -> OpaquePointer? {
        switch request {
        case .command(let sql): return PQexec(handle, sql)
        case .prepared(let name, let buffers, let nulls):
            return Self.withParameters(buffers, nulls: nulls) { count, values, lengths, formats in
                PQexecPrepared(handle, name, count, values, lengths, formats, 0)
            }
        }
    }

    /// Queues `request` in libpq's pipeline; false when that failed.
    private func sendPipelined(_ request: PostgresRequest) -> Bool {
        switch request {
        case .command(let sql): return PQsendQueryParams(handle, sql, 0, nil, nil, nil, nil, 0) == 1
        case .prepared(let name, let buffers, let nulls):
            return Self.withParameters(buffers, nulls: nulls) { count, values, lengths, formats in
                PQsendQueryPrepared(handle, name, count, values, lengths, formats, 0) == 1
            }
        }
    }

    private func connectionError() -> StoreError { .postgres(sqlState: "08006", message: Self.trimmed(PQerrorMessage(handle))) }

    /// The store's statement `sql` (`?` or `?N` parameters) on this connection.
    public func statement(_ sql: String) throws(StoreError) -> any StoreStatement {
        if let text = translated[sql] { return PostgresStatement(connection: self, sql: text) }
        let text = PostgresDialect.placeholders(sql)
        translated[sql] = text
        return PostgresStatement(connection: self, sql: text)
    }

    /// PostgreSQL has one way to begin: rows are locked as statements reach them.
    public func transaction<T>(_ kind: TransactionKind, _ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        try transaction(body)
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it
    /// throws. `READ COMMITTED`, PostgreSQL's default; claims rely on row locks, not isolation.
    ///
    /// BEGIN is not sent on its own: it waits for the transaction's first statement
    /// and goes with it (pipeline mode), as statements queued by `enqueue` go with
    /// COMMIT. A transaction that ran no statement sends nothing.
    public func transaction<T>(_ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        precondition(!inTransaction, "PostgreSQL transactions do not nest")
        inTransaction = true
        beginPending = true
        defer { inTransaction = false }
        do {
            let value = try body()
            if beginPending && queue.isEmpty {
                beginPending = false
                return value
            }
            let (pending, readers) = takePending()
            PQclear(try exchange(pending + [.command("COMMIT")], readers: readers))
            return value
        } catch {
            let begun = !beginPending
            _ = takePending()
            if begun, isOpen { _ = try? execute("ROLLBACK") }
            throw error
        }
    }

    private func statementName(for sql: String, count: Int) throws(StoreError) -> String {
        if let name = prepared[sql] { return name }
        let name = "s\(prepared.count)"
        // Parameter types are left to the server to infer from the statement (0 = unspecified).
        let types = [Oid](repeating: 0, count: count)
        roundTrips += 1
        let result = PQprepare(handle, name, sql, Int32(count), types)
        defer { PQclear(result) }
        try check(result)
        prepared[sql] = name
        return name
    }

    private func check(_ result: OpaquePointer?) throws(StoreError) {
        guard let result else { throw connectionError() }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY: return
        default:
            let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) } ?? "08006"
            let message = Self.trimmed(PQresultErrorMessage(result))
            // Integrity violations (unique, foreign key, check) are conflicts, as SQLite's constraint errors are.
            if state.hasPrefix("23") { throw .conflict(message) }
            throw .postgres(sqlState: state, message: message)
        }
    }

    private static func trimmed(_ message: UnsafePointer<CChar>?) -> String {
        guard let message else { return "unknown error" }
        return String(cString: message).trimmingSuffixNewlines()
    }

    /// Calls `body` with libpq's view of text-format parameters: their count, C
    /// pointers to `buffers` (nil for the NULL ones), their lengths and formats,
    /// valid for the duration of the call.
    private static func withParameters<R>(
        _ buffers: [[UInt8]], nulls: [Bool], _ body: (Int32, [UnsafePointer<CChar>?], [Int32], [Int32]) -> R
    ) -> R {
        let copies = buffers.map { bytes -> UnsafeMutablePointer<CChar> in
            // NUL-terminated: libpq reads text-format parameters as C strings.
            let copy = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
            bytes.withUnsafeBufferPointer { source in
                source.withMemoryRebound(to: CChar.self) { if let base = $0.baseAddress { copy.initialize(from: base, count: bytes.count) } }
            }
            copy[bytes.count] = 0
            return copy
        }
        defer { copies.forEach { $0.deallocate() } }
        return body(
            Int32(buffers.count), zip(copies, nulls).map { $1 ? nil : UnsafePointer($0) }, buffers.map { Int32($0.count) },
            [Int32](repeating: 0, count: buffers.count))
    }
}

extension String {
    fileprivate func trimmingSuffixNewlines() -> String {
        var text = Substring(self)
        while let last = text.last, last.isNewline { text = text.dropLast() }
        return String(text)
    }
}

/// One request on a PostgreSQL connection: a command without parameters
/// (BEGIN, COMMIT) or a prepared statement with its text-format values.
enum PostgresRequest {
    case command(String)
    case prepared(name: String, values: [[UInt8]], nulls: [Bool])

    /// Bytes of values it holds.
    var size: Int {
        switch self {
        case .command: 0
        case .prepared(_, let values, _): values.reduce(0) { $0 + $1.count }
        }
    }
}
