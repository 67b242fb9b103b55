#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Time that only moves forward, for durations, deadlines and cache expiry;
/// never for timestamps shown to clients (`Timestamp` is for those).
public enum MonotonicClock {
    public static func microseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1000
    }

    public static func milliseconds() -> Int64 { microseconds() / 1000 }
}
