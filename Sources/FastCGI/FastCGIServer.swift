import CFastCGI
public import Dispatch
public import Lifecycle
import Synchronization

#if canImport(Glibc)
    public import Glibc
#endif

/// Why the server could not start.
public enum FastCGIError: Error, Sendable, CustomStringConvertible {
    case initFailed(Int32)
    case socket(String)
    case thread(Int32)

    public var description: String {
        switch self {
        case .initFailed(let rc): return "FCGX_Init failed (\(rc))"
        case .socket(let message): return message
        case .thread(let rc): return "cannot start a worker thread (\(rc))"
        }
    }
}

/// A FastCGI responder on a unix socket, served by dedicated worker threads that
/// each block in `FCGX_Accept_r` (never Swift's cooperative pool, which has one
/// thread per core and must not block).
///
/// With nginx's `fastcgi_keep_conn on`, a worker stays with its connection between
/// requests, so an idle kept-open connection pins a thread: `threadCount` must
/// exceed nginx's upstream keepalive pool across all nginx workers.
///
/// Stopping: `beginStopping()` stops accepting and wakes workers blocked in accept
/// or in an idle kept-open connection; `finishStopping(by:)` lets requests in
/// flight finish and returns once every worker has exited or the deadline has passed.
public final class FastCGIServer: Service {
    public struct Configuration: Sendable {
        public var socketPath: String
        /// File mode of the socket, so nginx's unprivileged workers can connect.
        public var socketMode: mode_t
        public var backlog: Int32
        public var threadCount: Int
        /// Larger bodies are refused (`bodyTooLarge`) without being read.
        public var maxBodyBytes: Int
        /// Bodies up to this size are read whole; larger ones come as a stream.
        public var maxBufferedBodyBytes: Int

        public init(
            socketPath: String, socketMode: mode_t = 0o666, backlog: Int32 = 1024, threadCount: Int = 64, maxBodyBytes: Int = 512 << 20,
            maxBufferedBodyBytes: Int = 1 << 20
        ) {
            self.maxBufferedBodyBytes = maxBufferedBodyBytes
            self.socketPath = socketPath
            self.socketMode = socketMode
            self.backlog = backlog
            self.threadCount = threadCount
            self.maxBodyBytes = maxBodyBytes
        }
    }

    /// Per-worker slot: the kept-open connection its worker is idle on, or -1.
    /// Atomics rather than a shared lock: a lock taken per request costs more than
    /// the request itself under contention (Linux mutexes here are PI futexes).
    private final class WorkerSlot: Sendable {
        let idleFD = Atomic<Int32>(-1)
    }

    public let configuration: Configuration
    public let name = "fastcgi"
    private let makeResponder: @Sendable () -> any FastCGIResponder
    private let listenFD = Atomic<Int32>(-1)
    private let stopping = Atomic<Bool>(false)
    private let requestsInFlight = Atomic<Int>(0)
    private let slots: [WorkerSlot]
    private let exited = DispatchSemaphore(value: 0)

    public init(configuration: Configuration, makeResponder: @escaping @Sendable () -> any FastCGIResponder) {
        self.configuration = configuration
        self.makeResponder = makeResponder
        self.slots = (0..<configuration.threadCount).map { _ in WorkerSlot() }
    }

    /// Calls `FCGX_Init`, which installs libfcgi's own SIGPIPE/SIGTERM handlers;
    /// install yours after this.
    public static func initializeLibrary() throws(FastCGIError) {
        let rc = FCGX_Init()
        if rc != 0 { throw .initFailed(rc) }
    }

    /// Opens the socket (replacing a stale one) and starts the workers.
    public func start() throws(FastCGIError) {
        unlink(configuration.socketPath)
        let fd = FCGX_OpenSocket(configuration.socketPath, configuration.backlog)
        guard fd >= 0 else { throw .socket("cannot listen on \(configuration.socketPath): \(String(cString: strerror(errno)))") }
        chmod(configuration.socketPath, configuration.socketMode)
        listenFD.store(fd, ordering: .sequentiallyConsistent)
        for index in 0..<configuration.threadCount {
            try spawnWorker(index: index, listenFD: fd)
        }
    }

    /// Requests being answered right now.
    public var inFlight: Int { requestsInFlight.load(ordering: .relaxed) }

    /// Stops accepting; requests being answered carry on.
    public func beginStopping() {
        stopping.store(true, ordering: .sequentiallyConsistent)
        // Wakes idle keep-alive workers with end-of-file; writes still work, so a
        // request that raced in is still answered.
        for slot in slots {
            let fd = slot.idleFD.load(ordering: .sequentiallyConsistent)
            if fd >= 0 { shutdown(fd, Int32(SHUT_RD)) }
        }
        // Wakes every worker blocked in accept(): it fails with EINVAL.
        let listenFD = self.listenFD.load(ordering: .sequentiallyConsistent)
        if listenFD >= 0 { shutdown(listenFD, Int32(SHUT_RDWR)) }
    }

    /// Waits for the workers until `deadline`; true when every one exited in time
    /// (the socket is then closed and removed).
    public func finishStopping(by deadline: DispatchTime) -> Bool {
        for _ in 0..<configuration.threadCount where exited.wait(timeout: deadline) == .timedOut { return false }
        let listenFD = self.listenFD.exchange(-1, ordering: .sequentiallyConsistent)
        if listenFD >= 0 { close(listenFD) }
        unlink(configuration.socketPath)
        return true
    }

    private func spawnWorker(index: Int, listenFD: Int32) throws(FastCGIError) {
        do {
            try WorkerThread.start(name: "fcgi-\(index)") { [self] in runWorker(index: index, listenFD: listenFD) }
        } catch {
            throw .thread(error.code)
        }
    }

    private func runWorker(index: Int, listenFD: Int32) {
        defer { exited.signal() }
        let responder = makeResponder()
        var request = FCGX_Request()
        FCGX_InitRequest(&request, listenFD, 0)
        defer { FCGX_Free(&request, 1) }
        let slot = slots[index]
        while true {
            // Publish the idle kept-open connection before checking for a stop, and
            // stop() sets its flag before reading slots: one of the two always sees the other.
            slot.idleFD.store(request.ipcFd, ordering: .sequentiallyConsistent)
            if stopping.load(ordering: .sequentiallyConsistent) { return }
            // On a kept-open connection the next request is awaited in poll: libfcgi's
            // blocking read would also wake each time nginx takes the last answer off
            // the socket (see `ReadableWait`). stop()'s shutdown makes it readable.
            if request.ipcFd >= 0 { _ = ReadableWait.wait(fd: request.ipcFd) }
            let rc = FCGX_Accept_r(&request)
            slot.idleFD.store(-1, ordering: .sequentiallyConsistent)
            guard rc >= 0 else {
                if stopping.load(ordering: .sequentiallyConsistent) { return }
                // A failed accept while running (e.g. EMFILE): back off briefly rather than spin.
                usleep(10_000)
                continue
            }
            requestsInFlight.add(1, ordering: .relaxed)
            serve(&request, responder: responder)
            FCGX_Finish_r(&request)
            requestsInFlight.subtract(1, ordering: .relaxed)
        }
    }

    private func serve(_ request: inout FCGX_Request, responder: any FastCGIResponder) {
        let params = Self.readParams(request.envp)
        let declared = Int(params["CONTENT_LENGTH"] ?? "") ?? 0
        var incoming = FastCGIRequest(params: params, declaredLength: max(0, declared))
        if declared > configuration.maxBodyBytes {
            incoming.bodyTooLarge = true
        } else if declared > configuration.maxBufferedBodyBytes {
            incoming.bodyStream = FastCGIBodyStream(stream: request.in, length: declared)
        } else if declared > 0 {
            incoming.body = Self.read(request.in, count: declared)
            incoming.bodyTruncated = incoming.body.count < declared
        }
        let response = responder.respond(to: incoming)
        let out = request.out
        // A client that went away makes this fail; the worker carries on.
        // The head and then the body, each copied once, into libfcgi's buffer.
        if response.writeHead({ Self.write($0, to: out) }) {
            if let stream = response.stream {
                stream.produce { Self.write($0, to: out) }
            } else {
                _ = Self.write(response.body, to: out)
            }
        }
        // The body is read to its end-of-stream record, even when every declared byte
        // was read: left on a kept-open connection, that empty record makes libfcgi's
        // next accept fail with a protocol error and close the connection, and nginx
        // answers the next request sent on it with a 502 (a POST is never retried).
        // Whatever the responder left unread is dropped the same way.
        Self.discard(request.in)
    }

    /// CGI parameters (`NAME=value` C strings, as libfcgi hands them over), each copied
    /// once into a `String`; an entry without `=` is skipped.
    public static func readParams(_ envp: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> FastCGIParams {
        guard var cursor = envp else { return FastCGIParams() }
        // Counted first and reserved exactly: a list of 32 (1 KiB) was past what `malloc`
        // keeps in its per-thread cache, and each request's then made it consolidate.
        var count = 0
        while cursor[count] != nil { count += 1 }
        var parameters: [FastCGIParams.Parameter] = []
        parameters.reserveCapacity(count)
        while let entry = cursor.pointee {
            if let equals = strchr(entry, Int32(UInt8(ascii: "="))) {
                let nameLength = entry.distance(to: equals)
                let name = entry.withMemoryRebound(to: UInt8.self, capacity: nameLength) {
                    String(decoding: UnsafeBufferPointer(start: $0, count: nameLength), as: UTF8.self)
                }
                parameters.append(FastCGIParams.Parameter(name: name, value: String(cString: equals + 1)))
            }
            cursor += 1
        }
        return FastCGIParams(parameters)
    }

    static func read(_ stream: UnsafeMutablePointer<FCGX_Stream>?, count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        bytes.withUnsafeMutableBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars in
                while filled < count {
                    let n = FCGX_GetStr(chars.baseAddress! + filled, Int32(min(count - filled, 1 << 20)), stream)
                    if n <= 0 { break }
                    filled += Int(n)
                }
            }
        }
        if filled < count { bytes.removeSubrange(filled...) }
        return bytes
    }

    /// Sends bytes to nginx; false once the connection failed (the client went away).
    static func write(_ bytes: [UInt8], to stream: UnsafeMutablePointer<FCGX_Stream>?) -> Bool {
        bytes.withUnsafeBytes { write($0, to: stream) }
    }

    static func write(_ bytes: UnsafeRawBufferPointer, to stream: UnsafeMutablePointer<FCGX_Stream>?) -> Bool {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return true }
        return FCGX_PutStr(base.assumingMemoryBound(to: CChar.self), Int32(bytes.count), stream) == Int32(bytes.count)
    }

    /// Reads and drops the rest of a body in small chunks.
    static func discard(_ stream: UnsafeMutablePointer<FCGX_Stream>?) {
        // Every request comes here, nearly all with nothing left but the end of the
        // stream: no scratch for those (a zeroed 64 KiB array was 3% of a cached
        // status answer's CPU). A byte read here is dropped like the rest.
        guard FCGX_GetChar(stream) != -1 else { return }
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 16 << 10) { buffer in
            while FCGX_GetStr(buffer.baseAddress, Int32(buffer.count), stream) > 0 {}
        }
    }
}
