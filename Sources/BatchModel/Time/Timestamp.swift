/// A point in time as whole milliseconds since the Unix epoch, UTC: what the
/// store keeps, and what renders as ISO 8601 with a `Z` on the wire.
public struct Timestamp: Sendable, Hashable, Comparable {
    public var milliseconds: Int64

    public init(milliseconds: Int64) { self.milliseconds = milliseconds }

    /// Wall time now (`SystemClock`).
    public static func now() -> Timestamp { Timestamp(milliseconds: SystemClock.wallMicroseconds() / 1000) }

    public var seconds: Int64 { milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000 }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.milliseconds < rhs.milliseconds }

    /// `2024-12-18T10:01:15Z`, or with milliseconds when they are not zero
    /// (`2024-12-18T10:01:15.250Z`).
    public var iso8601: String {
        let civil = CivilTime(epochSeconds: seconds)
        let ms = Int(milliseconds - seconds * 1000)
        var text =
            pad(civil.year, 4) + "-" + pad(civil.month, 2) + "-" + pad(civil.day, 2) + "T"
            + pad(civil.hour, 2) + ":" + pad(civil.minute, 2) + ":" + pad(civil.second, 2)
        if ms != 0 { text += "." + pad(ms, 3) }
        return text + "Z"
    }

    /// `2024-10-01T06:00:00.000Z`: always with milliseconds (Talonic's form).
    public var iso8601Milliseconds: String {
        let text = iso8601
        return text.contains(".") ? text : String(text.dropLast()) + ".000Z"
    }

    /// Parses `2024-12-18`, `2024-12-18T10:01:15Z`, with optional fraction and a
    /// `Z` or `±HH:MM` offset. Nil for anything else, including impossible dates.
    public init?(iso8601 text: String) {
        let bytes = Array(text.utf8)
        func number(_ start: Int, _ count: Int) -> Int? {
            guard start + count <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[start..<start + count] {
                guard byte >= 0x30, byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        guard bytes.count >= 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
            (1...12).contains(month), day >= 1, day <= CivilTime.daysIn(month: month, year: year)
        else { return nil }
        var seconds = Int64(CivilTime.days(year: year, month: month, day: day)) * 86_400
        var milliseconds: Int64 = 0
        if bytes.count > 10 {
            guard bytes.count >= 20, bytes[10] == UInt8(ascii: "T"), bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
                let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2), hour < 24, minute < 60, second < 60
            else { return nil }
            seconds += Int64(hour * 3600 + minute * 60 + second)
            var index = 19
            if bytes[index] == UInt8(ascii: ".") {
                index += 1
                var digits = 0
                while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
                    if digits < 3 { milliseconds = milliseconds * 10 + Int64(bytes[index] - 0x30) }
                    digits += 1
                    index += 1
                }
                guard digits > 0 else { return nil }
                for _ in digits..<max(digits, 3) { milliseconds *= 10 }
            }
            guard index < bytes.count else { return nil }
            if bytes[index] == UInt8(ascii: "Z") {
                guard index + 1 == bytes.count else { return nil }
            } else {
                guard index + 6 == bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-"),
                    bytes[index + 3] == UInt8(ascii: ":"), let hours = number(index + 1, 2), let minutes = number(index + 4, 2),
                    hours < 24, minutes < 60
                else { return nil }
                let offset = Int64(hours * 3600 + minutes * 60)
                seconds += bytes[index] == UInt8(ascii: "+") ? -offset : offset
            }
        }
        self.milliseconds = seconds * 1000 + milliseconds
    }

    private func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}

/// Calendar fields of a UTC instant (proleptic Gregorian), computed without the
/// C library's time-zone machinery (Howard Hinnant's days-from-civil algorithm).
struct CivilTime {
    var year, month, day, hour, minute, second: Int

    init(epochSeconds: Int64) {
        let days = Int(epochSeconds >= 0 ? epochSeconds / 86_400 : (epochSeconds - 86_399) / 86_400)
        let secondsOfDay = Int(epochSeconds - Int64(days) * 86_400)
        hour = secondsOfDay / 3600
        minute = secondsOfDay % 3600 / 60
        second = secondsOfDay % 60
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        day = doy - (153 * mp + 2) / 5 + 1
        month = mp < 10 ? mp + 3 : mp - 9
        year = yoe + era * 400 + (month <= 2 ? 1 : 0)
    }

    /// Days since 1970-01-01 of a civil date (the inverse of the above).
    static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}
