#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The one place batchd reads the time. Two clocks, for two purposes: wall time
/// (`Timestamp.now()` reads it) for what is stored and shown to clients, and
/// monotonic time, which only moves forward, for durations, deadlines, cache
/// expiry and rate-limit arithmetic inside one process. Code that decides on
/// time takes a `now:` parameter defaulting to these, so tests pass their own.
public enum SystemClock {
    /// Microseconds since the Unix epoch (CLOCK_REALTIME): may jump when the clock is set.
    public static func wallMicroseconds() -> Int64 { read(CLOCK_REALTIME) }

    /// Microseconds since some fixed point (CLOCK_MONOTONIC): never goes back.
    public static func monotonicMicroseconds() -> Int64 { read(CLOCK_MONOTONIC) }

    public static func monotonicMilliseconds() -> Int64 { monotonicMicroseconds() / 1000 }

    private static func read(_ clock: clockid_t) -> Int64 {
        var spec = timespec()
        clock_gettime(clock, &spec)
        return Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1000
    }
}
