import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Which item each scheduler worker is running, written down by the dying
/// process itself. A fatal signal (a Swift trap, a segfault, an abort) on a
/// worker thread appends that worker's item id to `run/crashed-items`; the next
/// start reads the file and counts the death against the item (poison items:
/// the second death fails it for good). A process killed from outside
/// (SIGKILL, power loss) writes nothing: its items are rescued as before.
///
/// The signal handler may only use async-signal-safe calls, so the slots are
/// fixed memory and the file descriptor is opened in advance.
enum CrashJournal {
    static let slotCount = 256
    static let idCapacity = 64
    /// Per slot: the owning thread (8 bytes), the id's length (8), the id's bytes.
    static let slotBytes = 16 + idCapacity
    nonisolated(unsafe) static let slots: UnsafeMutableRawPointer = {
        let memory = UnsafeMutableRawPointer.allocate(byteCount: slotCount * slotBytes, alignment: 16)
        memory.initializeMemory(as: UInt8.self, repeating: 0, count: slotCount * slotBytes)
        return memory
    }()
    nonisolated(unsafe) static var descriptor: Int32 = -1
    /// What handled each signal before (index: signal number), and room for the new action (index 0).
    nonisolated(unsafe) static let actions: UnsafeMutablePointer<sigaction> = {
        let memory = UnsafeMutablePointer<sigaction>.allocate(capacity: 65)
        UnsafeMutableRawPointer(memory).initializeMemory(as: UInt8.self, repeating: 0, count: 65 * MemoryLayout<sigaction>.stride)
        return memory
    }()
    static let fatalSignals = [SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV]

    /// The item ids a previous process recorded as it died; the file is then emptied.
    static func take(path: String) -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        unlink(path)
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init).filter { !$0.isEmpty && $0.count <= idCapacity }
    }

    /// Opens the journal and installs the handlers. Call once, before workers start.
    static func install(path: String) {
        descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { return }
        for number in fatalSignals {
            actions[0].__sigaction_handler.sa_handler = { number in CrashJournal.record(signal: number) }
            sigemptyset(&actions[0].sa_mask)
            actions[0].sa_flags = SA_ONSTACK
            sigaction(number, actions, actions + Int(number))
        }
    }

    /// Gives the calling worker thread slot `index` and an alternate signal stack,
    /// so that even a stack overflow is written down.
    static func register(slot index: Int) {
        guard index < slotCount else { return }
        let slot = slots + index * slotBytes
        slot.storeBytes(of: UInt64(pthread_self()), as: UInt64.self)
        slot.storeBytes(of: 0, toByteOffset: 8, as: Int.self)
        var stack = stack_t()
        stack.ss_sp = UnsafeMutableRawPointer.allocate(byteCount: 64 << 10, alignment: 16)
        stack.ss_size = 64 << 10
        stack.ss_flags = 0
        sigaltstack(&stack, nil)
    }

    /// The worker in `index` now runs `itemID` (nil: nothing).
    static func running(_ itemID: String?, slot index: Int) {
        guard index < slotCount else { return }
        let slot = slots + index * slotBytes
        slot.storeBytes(of: 0, toByteOffset: 8, as: Int.self)
        guard let itemID else { return }
        let bytes = Array(itemID.utf8.prefix(idCapacity))
        bytes.withUnsafeBytes { (slot + 16).copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
        slot.storeBytes(of: bytes.count, toByteOffset: 8, as: Int.self)
    }

    /// The handler: the dying thread writes its own slot's item, then the signal
    /// goes on to whoever handled it before (the runtime's backtracer, or the default).
    static func record(signal number: Int32) {
        let me = UInt64(pthread_self())
        for index in 0..<slotCount {
            let slot = slots + index * slotBytes
            guard slot.load(as: UInt64.self) == me else { continue }
            let length = slot.load(fromByteOffset: 8, as: Int.self)
            if length > 0, length <= idCapacity {
                _ = write(descriptor, slot + 16, length)
                var newline: UInt8 = 0x0A
                _ = write(descriptor, &newline, 1)
            }
            break
        }
        sigaction(number, actions + Int(number), nil)
        raise(number)
    }
}
