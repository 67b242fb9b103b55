#if canImport(Glibc)
    import Glibc
#endif

/// Faults the test suite provokes on purpose, by sending a file that starts with
/// one of these markers. Debug builds only: in a release build `fire` does nothing.
public enum TestFault {
    /// The inspector traps (as a Swift bounds or overflow failure would).
    public static let crash = "BATCHD-TEST-FAULT:crash"
    /// The inspector allocates until it hits its memory limit.
    public static let hogMemory = "BATCHD-TEST-FAULT:memory"
    /// The inspector spins until it hits its CPU-time limit.
    public static let spin = "BATCHD-TEST-FAULT:spin"

    public static func fire(_ bytes: [UInt8]?) {
        #if DEBUG
            guard let bytes, bytes.starts(with: "BATCHD-TEST-FAULT:".utf8) else { return }
            if bytes.starts(with: crash.utf8) { fatalError("test fault: crash") }
            if bytes.starts(with: hogMemory.utf8) {
                var hoard: [[UInt8]] = []
                while true { hoard.append([UInt8](repeating: 1, count: 16 << 20)) }
            }
            if bytes.starts(with: spin.utf8) {
                var x: UInt64 = 1
                while x != 0 { x = x &* 6_364_136_223_846_793_005 &+ 1 }
            }
        #endif
    }
}
