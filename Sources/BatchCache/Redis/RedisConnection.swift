import BatchModel
import CHiredis
import Lifecycle

#if canImport(Glibc)
    import Glibc
#endif

/// One blocking Redis connection over hiredis, owned by one thread.
///
/// Every command has a timeout. After any error the hiredis context is unusable,
/// so it is freed and the next call reconnects, but no sooner than
/// `reconnectInterval` after the last failed attempt: while Redis is down,
/// requests fail fast instead of each paying a connect timeout.
public final class RedisConnection {
    public let endpoint: RedisEndpoint
    public let connectTimeoutMilliseconds: Int
    public let commandTimeoutMilliseconds: Int
    public let reconnectIntervalMilliseconds: Int

    private var context: UnsafeMutablePointer<redisContext>?
    /// SHA1 of each script loaded on this connection, by script name.
    var scriptHashes: [String: String] = [:]
    private var nextAttemptAt: Int64 = 0
    private var lastError = "not connected yet"
    /// Told when Redis starts or stops answering this connection (with why, when it stops).
    public var onAvailabilityChange: ((_ available: Bool, _ reason: String) -> Void)?
    private var available: Bool?

    private func setAvailable(_ now: Bool) {
        guard available != now else { return }
        available = now
        onAvailabilityChange?(now, now ? "" : lastError)
    }

    public init(
        endpoint: RedisEndpoint, connectTimeoutMilliseconds: Int = 200, commandTimeoutMilliseconds: Int = 100,
        reconnectIntervalMilliseconds: Int = 500
    ) {
        self.endpoint = endpoint
        self.connectTimeoutMilliseconds = connectTimeoutMilliseconds
        self.commandTimeoutMilliseconds = commandTimeoutMilliseconds
        self.reconnectIntervalMilliseconds = reconnectIntervalMilliseconds
        _ = Self.ignoreBrokenPipes
    }

    /// hiredis writes with plain write(2): a Redis that went away would raise
    /// SIGPIPE and kill the process. Ignored once per process, so the failure
    /// arrives as EPIPE and becomes a reconnect instead.
    private static let ignoreBrokenPipes: Void = { signal(SIGPIPE, SIG_IGN) }()

    deinit { disconnect() }

    /// True while a context is open; says nothing about whether Redis still answers.
    public var isConnected: Bool { context != nil }

    /// Drops the connection; the next command reconnects.
    public func disconnect() {
        if let context { redisFree(context) }
        context = nil
    }

    /// Sends one command and waits for its reply. An error *reply* is returned as
    /// `.error`, not thrown: the connection is still good after it.
    public func command(_ arguments: [String]) throws(CacheError) -> RedisReply {
        let context = try connectedContext()
        try append(context, arguments)
        try send(context)
        let reply = try readReply(context)
        setAvailable(true)
        return reply
    }

    /// Sends several commands in one write and reads their replies in order:
    /// one round trip instead of one per command.
    public func pipeline(_ commands: [[String]]) throws(CacheError) -> [RedisReply] {
        let context = try connectedContext()
        for arguments in commands { try append(context, arguments) }
        try send(context)
        var replies: [RedisReply] = []
        replies.reserveCapacity(commands.count)
        for _ in commands { replies.append(try readReply(context)) }
        setAvailable(true)
        return replies
    }

    private func append(_ context: UnsafeMutablePointer<redisContext>, _ arguments: [String]) throws(CacheError) {
        let rc = Self.withArgv(arguments) { argc, argv, lengths in redisAppendCommandArgv(context, argc, argv, lengths) }
        if rc != REDIS_OK { throw fail(context, "append") }
    }

    private func readReply(_ context: UnsafeMutablePointer<redisContext>) throws(CacheError) -> RedisReply {
        var raw: UnsafeMutableRawPointer?
        guard redisGetReply(context, &raw) == REDIS_OK, let raw else { throw fail(context, "read") }
        defer { freeReplyObject(raw) }
        return Self.convert(raw.assumingMemoryBound(to: redisReply.self))
    }

    /// Writes every appended command, then waits for the reply in `poll`, not in
    /// hiredis's blocking read, which Redis taking the commands off the socket would
    /// wake for nothing (see `ReadableWait`); the replies are then read without waiting.
    private func send(_ context: UnsafeMutablePointer<redisContext>) throws(CacheError) {
        try write(context)
        if ReadableWait.wait(fd: context.pointee.fd, timeoutMilliseconds: commandTimeoutMilliseconds) == .timedOut {
            throw fail(context, "read", reason: "no reply within \(commandTimeoutMilliseconds) ms")
        }
    }

    /// The socket of the open connection (nil while disconnected): what a
    /// subscribed connection's owner waits on for messages.
    public var fileDescriptor: Int32? { context?.pointee.fd }

    /// Sends one command on the open connection without reading its reply: for a
    /// subscribed connection, whose replies arrive among its messages (`readArrived`).
    public func post(_ arguments: [String]) throws(CacheError) {
        guard let context else { throw .unavailable(lastError) }
        try append(context, arguments)
        try write(context)
    }

    /// For a subscribed connection whose socket has input: reads once (it does not
    /// wait when the socket is readable) and returns every whole reply that has
    /// arrived. A closed or failed connection throws (and is dropped).
    public func readArrived() throws(CacheError) -> [RedisReply] {
        guard let context else { throw .unavailable(lastError) }
        if redisBufferRead(context) != REDIS_OK { throw fail(context, "read") }
        var replies: [RedisReply] = []
        while true {
            var raw: UnsafeMutableRawPointer?
            guard redisGetReplyFromReader(context, &raw) == REDIS_OK else { throw fail(context, "read") }
            guard let raw else { return replies }
            replies.append(Self.convert(raw.assumingMemoryBound(to: redisReply.self)))
            freeReplyObject(raw)
        }
    }

    private func write(_ context: UnsafeMutablePointer<redisContext>) throws(CacheError) {
        var done: Int32 = 0
        repeat {
            if redisBufferWrite(context, &done) != REDIS_OK { throw fail(context, "write") }
        } while done == 0
    }

    /// PING with the command timeout; false on any failure.
    public func ping() -> Bool {
        (try? command(["PING"])) == .status("PONG")
    }

    private func connectedContext() throws(CacheError) -> UnsafeMutablePointer<redisContext> {
        if let context { return context }
        let now = SystemClock.monotonicMilliseconds()
        guard now >= nextAttemptAt else { throw .unavailable(lastError) }
        nextAttemptAt = now + Int64(reconnectIntervalMilliseconds)
        let connectTimeout = Self.timeval(milliseconds: connectTimeoutMilliseconds)
        let created: UnsafeMutablePointer<redisContext>?
        switch endpoint {
        case .unix(let path): created = redisConnectUnixWithTimeout(path, connectTimeout)
        case .tcp(let host, let port): created = redisConnectWithTimeout(host, Int32(port), connectTimeout)
        }
        guard let created else {
            lastError = "cannot allocate a context"
            setAvailable(false)
            throw .io(lastError)
        }
        if created.pointee.err != 0 {
            lastError = "connect to \(endpoint): " + Self.errorString(created)
            redisFree(created)
            setAvailable(false)
            throw .io(lastError)
        }
        if redisSetTimeout(created, Self.timeval(milliseconds: commandTimeoutMilliseconds)) != REDIS_OK {
            lastError = "set timeout: " + Self.errorString(created)
            redisFree(created)
            throw .io(lastError)
        }
        context = created
        nextAttemptAt = 0
        return created
    }

    private func fail(_ context: UnsafeMutablePointer<redisContext>, _ operation: String, reason: String? = nil) -> CacheError {
        lastError = "\(operation): " + (reason ?? Self.errorString(context))
        disconnect()
        setAvailable(false)
        // A failure right after a good connection may be a blip: allow one immediate retry.
        nextAttemptAt = SystemClock.monotonicMilliseconds()
        return .io(lastError)
    }

    private static func errorString(_ context: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafePointer(to: &context.pointee.errstr) { pointer in
            pointer.withMemoryRebound(to: CChar.self, capacity: 128) { String(cString: $0) }
        }
    }

    private static func convert(_ reply: UnsafeMutablePointer<redisReply>) -> RedisReply {
        let r = reply.pointee
        switch r.type {
        case REDIS_REPLY_STRING:
            guard let str = r.str else { return .bulk([]) }
            return .bulk(Array(UnsafeRawBufferPointer(start: str, count: Int(r.len))))
        case REDIS_REPLY_STATUS:
            return .status(r.str.map { String(cString: $0) } ?? "")
        case REDIS_REPLY_ERROR:
            return .error(r.str.map { String(cString: $0) } ?? "")
        case REDIS_REPLY_INTEGER:
            return .integer(Int64(r.integer))
        case REDIS_REPLY_ARRAY:
            var elements: [RedisReply] = []
            elements.reserveCapacity(Int(r.elements))
            for i in 0..<Int(r.elements) {
                if let element = r.element[i] { elements.append(convert(element)) } else { elements.append(.null) }
            }
            return .array(elements)
        default:
            return .null
        }
    }

    /// Copies the arguments into one C buffer, NUL after each, with explicit lengths
    /// (values may hold any bytes). Small commands stay on the stack: every request
    /// makes one, and a buffer per argument was most of their allocations.
    private static func withArgv<R>(_ arguments: [String], _ body: (Int32, UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafePointer<Int>) -> R) -> R
    {
        let total = arguments.reduce(0) { $0 + $1.utf8.count + 1 }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(1, total)) { bytes in
            withUnsafeTemporaryAllocation(of: UnsafePointer<CChar>?.self, capacity: max(1, arguments.count)) { argv in
                withUnsafeTemporaryAllocation(of: Int.self, capacity: max(1, arguments.count)) { lengths in
                    var offset = 0
                    for (index, argument) in arguments.enumerated() {
                        let count = argument.utf8.count
                        _ = UnsafeMutableBufferPointer(rebasing: bytes[offset..<offset + count]).initialize(from: argument.utf8)
                        bytes[offset + count] = 0
                        argv[index] = UnsafeRawPointer(bytes.baseAddress! + offset).assumingMemoryBound(to: CChar.self)
                        lengths[index] = count
                        offset += count + 1
                    }
                    return body(Int32(arguments.count), argv.baseAddress!, UnsafePointer(lengths.baseAddress!))
                }
            }
        }
    }

    static func timeval(milliseconds: Int) -> Glibc.timeval {
        Glibc.timeval(tv_sec: milliseconds / 1000, tv_usec: (milliseconds % 1000) * 1000)
    }
}
