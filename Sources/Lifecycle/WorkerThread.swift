import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The one way batchd starts a thread of its own: a detached pthread with a
/// name (seen in `top -H` and core dumps) and a stack of a known size. Blocking
/// work (FastCGI accept, SQLite, child processes) runs on these, never on
/// Swift's cooperative pool, which has a thread per core and must not block.
public enum WorkerThread {
    /// Why a thread could not start: pthread_create's error number.
    public struct StartError: Error, Sendable, CustomStringConvertible {
        public let code: Int32
        public var description: String { "cannot start a thread (\(code))" }
    }

    /// Starts `body` on a new detached thread named `name` (at most 15 bytes
    /// are kept, Linux's limit).
    public static func start(name: String, stackBytes: Int = 1 << 20, _ body: @escaping @Sendable () -> Void) throws(StartError) {
        let box = Unmanaged.passRetained(Body(name: name, run: body))
        // Allocated rather than `pthread_attr_t()`: that zero initializer comes from
        // an overlay module (CDispatch) no file here should import.
        let attributes = UnsafeMutablePointer<pthread_attr_t>.allocate(capacity: 1)
        defer { attributes.deallocate() }
        pthread_attr_init(attributes)
        defer { pthread_attr_destroy(attributes) }
        pthread_attr_setstacksize(attributes, stackBytes)
        pthread_attr_setdetachstate(attributes, Int32(PTHREAD_CREATE_DETACHED))
        var thread: pthread_t = 0
        let rc = pthread_create(
            &thread, attributes,
            { argument in
                let box = Unmanaged<Body>.fromOpaque(argument!).takeRetainedValue()
                // Foundation names the pthread (Glibc does not export pthread_setname_np).
                Thread.current.name = box.name
                box.run()
                return nil
            }, box.toOpaque())
        if rc != 0 {
            box.release()
            throw StartError(code: rc)
        }
    }

    /// For threads that must exist for batchd to work at all: a failure to start
    /// one ends the process with the reason.
    public static func startOrExit(name: String, stackBytes: Int = 1 << 20, _ body: @escaping @Sendable () -> Void) {
        do {
            try start(name: name, stackBytes: stackBytes, body)
        } catch {
            fatalError("\(name): \(error)")
        }
    }

    private final class Body {
        let name: String
        let run: @Sendable () -> Void
        init(name: String, run: @escaping @Sendable () -> Void) {
            self.name = name
            self.run = run
        }
    }
}
