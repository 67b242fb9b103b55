#if canImport(Glibc)
    import Glibc
#endif

/// A log line's UTC timestamp, `2026-11-23T19:19:53.120Z`, with its date and time up
/// to the second made once a second (a line a request formatted the whole of it each
/// time: 2% of a cached answer's CPU).
public struct LogClock: Sendable {
    private var second: Int64 = .min
    /// `2026-11-23T19:19:53.` for `second`.
    private var prefix: [UInt8] = []

    public init() {}

    /// Unix milliseconds now.
    public static func nowMilliseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }

    /// Appends the timestamp of `epochMilliseconds` (at or after 1970).
    public mutating func append(epochMilliseconds: Int64, to bytes: inout [UInt8]) {
        let milliseconds = max(0, epochMilliseconds)
        let second = milliseconds / 1000
        if second != self.second {
            self.second = second
            prefix = Self.prefix(second)
        }
        bytes += prefix
        Self.appendDigits(Int(milliseconds % 1000), width: 3, to: &bytes)
        bytes.append(UInt8(ascii: "Z"))
    }

    /// Through `gmtime_r`, not BatchModel's `Timestamp`: `Lifecycle` sits beside the model,
    /// not on it (the FastCGI layer builds on it), and UTC reads no time-zone file.
    static func prefix(_ second: Int64) -> [UInt8] {
        var time = time_t(second)
        var civil = tm()
        gmtime_r(&time, &civil)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(20)
        appendDigits(Int(civil.tm_year) + 1900, width: 4, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        appendDigits(Int(civil.tm_mon) + 1, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        appendDigits(Int(civil.tm_mday), width: 2, to: &bytes)
        bytes.append(UInt8(ascii: "T"))
        appendDigits(Int(civil.tm_hour), width: 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        appendDigits(Int(civil.tm_min), width: 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        appendDigits(Int(civil.tm_sec), width: 2, to: &bytes)
        bytes.append(UInt8(ascii: "."))
        return bytes
    }

    /// `value` in decimal, zero-padded to `width` digits (more when it needs them): a
    /// number's own string, which is short enough to need no allocation.
    static func appendDigits(_ value: Int, width: Int, to bytes: inout [UInt8]) {
        let digits = String(value).utf8
        if digits.count < width { bytes.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: width - digits.count)) }
        bytes += digits
    }
}
