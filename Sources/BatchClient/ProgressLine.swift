/// The one-line progress bar `wait` redraws on a terminal:
/// `batch-… running [########------------]  41.0%  410/1000  ok 400  failed 10  running 4  pending 586  12.5/s  ETA 0:47`.
/// Pure: the numbers in, the text out, never wider than `width` columns.
public struct ProgressLine: Sendable {
    public var barWidth = 24

    public init() {}

    /// `rate` in items per second over the recent past (nil until known).
    public func render(_ progress: BatchProgress, rate: Double?, width: Int) -> String {
        let fraction = progress.total == 0 ? 0 : min(1, Double(progress.finished) / Double(progress.total))
        let filled = Int((fraction * Double(barWidth)).rounded(.down))
        let bar = "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: barWidth - filled) + "]"
        var parts = [
            progress.status, bar, Self.percent(fraction), "\(progress.finished)/\(progress.total)", "ok \(progress.succeeded)",
            "failed \(progress.failed)", "running \(progress.processing)", "pending \(progress.pending)",
        ]
        if let rate, rate > 0 {
            parts.append(Self.rate(rate))
            if progress.outcome == nil {
                let left = Double(progress.total - progress.finished) / rate
                parts.append("ETA " + Self.duration(left))
            }
        }
        var line = parts.joined(separator: "  ")
        if line.count > width { line = String(line.prefix(max(0, width))) }
        return line
    }

    static func percent(_ fraction: Double) -> String {
        let tenths = Int((fraction * 1000).rounded())
        let text = "\(tenths / 10).\(tenths % 10)%"
        return String(repeating: " ", count: max(0, 6 - text.count)) + text
    }

    static func rate(_ perSecond: Double) -> String {
        perSecond >= 100 ? "\(Int(perSecond.rounded()))/s" : "\(Int((perSecond * 10).rounded()) / 10).\(Int((perSecond * 10).rounded()) % 10)/s"
    }

    /// `0:47`, `12:05`, `3:02:10`; `--` when it cannot be known.
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0, seconds < 360_000 else { return "--" }
        let total = Int(seconds.rounded(.up))
        let (hours, minutes, secs) = (total / 3600, total % 3600 / 60, total % 60)
        let two = { (value: Int) in value < 10 ? "0\(value)" : "\(value)" }
        return hours > 0 ? "\(hours):\(two(minutes)):\(two(secs))" : "\(minutes):\(two(secs))"
    }
}
