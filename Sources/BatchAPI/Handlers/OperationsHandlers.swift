import BatchCache
import BatchCodecs
import BatchModel
import BatchStore

#if canImport(Glibc)
    import Glibc
#endif

/// Endpoints for operators: Prometheus metrics and a diagnostic that holds a
/// request open, to check nginx timeouts and graceful restarts in a deployment.
public enum OperationsHandlers {
    /// `GET /metrics` in Prometheus text format. nginx serves it to loopback only.
    public static func metrics(_ context: RequestContext) throws(APIError) -> HTTPResponse {
        HTTPResponse(
            status: 200, headers: [("Content-Type", "text/plain; version=0.0.4; charset=utf-8")],
            body: Array(
                (context.resources.metrics.prometheusText() + writerText(context.resources.database.writerQueue.statistics)
                    + mirrorText(context.resources.invalidator.mirror)).utf8))
    }

    /// The status mirror's state, in Prometheus text (nothing when it is off).
    static func mirrorText(_ mirror: StatusCacheMirror?) -> String {
        guard let mirror else { return "" }
        let (entries, bytes) = mirror.size
        return """
            # HELP batchd_status_mirror_answers_total Cached documents answered from this process's copy, without Redis.
            # TYPE batchd_status_mirror_answers_total counter
            batchd_status_mirror_answers_total \(mirror.answers)
            # HELP batchd_status_mirror_entries Entries this process keeps a copy of.
            # TYPE batchd_status_mirror_entries gauge
            batchd_status_mirror_entries \(entries)
            # HELP batchd_status_mirror_bytes What the kept copies add up to (bodies and keys).
            # TYPE batchd_status_mirror_bytes gauge
            batchd_status_mirror_bytes \(bytes)
            # HELP batchd_status_mirror_subscribed 1 while the invalidations' subscription is up and heard from.
            # TYPE batchd_status_mirror_subscribed gauge
            batchd_status_mirror_subscribed \(mirror.isSubscribed ? 1 : 0)

            """
    }

    /// How the SQLite writer was shared, in Prometheus text.
    static func writerText(_ writer: WriterStatistics) -> String {
        """
        # HELP batchd_writer_holds_total Write transactions that held the SQLite writer.
        # TYPE batchd_writer_holds_total counter
        batchd_writer_holds_total \(writer.holds)
        # HELP batchd_writer_hold_seconds_total Time the SQLite writer was held.
        # TYPE batchd_writer_hold_seconds_total counter
        batchd_writer_hold_seconds_total \(Double(writer.totalMicroseconds) / 1_000_000)
        # HELP batchd_writer_hold_seconds_max The longest one write transaction held the SQLite writer since start.
        # TYPE batchd_writer_hold_seconds_max gauge
        batchd_writer_hold_seconds_max \(Double(writer.longestMicroseconds) / 1_000_000)
        # HELP batchd_writer_holds_over_target_total Write transactions that held the writer longer than \(WriterStatistics.targetMilliseconds) ms.
        # TYPE batchd_writer_holds_over_target_total counter
        batchd_writer_holds_over_target_total \(writer.holdsOverTarget)
        # HELP batchd_writer_waits_timed_out_total Writes that waited their turn in vain and were answered busy.
        # TYPE batchd_writer_waits_timed_out_total counter
        batchd_writer_waits_timed_out_total \(writer.timedOut)

        """
    }

    /// The longest a diagnostic request may be held open.
    public static let maxSleepMilliseconds: Int64 = 30_000

    /// `GET /v1/admin/diagnostics/sleep?ms=N` (admin): answers after N milliseconds.
    /// A restart that drops this request in flight is not graceful.
    public static func sleep(_ context: RequestContext) throws(APIError) -> HTTPResponse {
        guard let text = context.request.query["ms"] else { throw .invalidParameter("ms", "is required") }
        guard let ms = Int64(text), (0...maxSleepMilliseconds).contains(ms) else {
            throw .invalidParameter("ms", "must be an integer between 0 and \(maxSleepMilliseconds)")
        }
        usleep(useconds_t(ms * 1000))
        return NativeEnvelope.response(message: "Slept \(ms) ms", data: ["slept_ms": .int(ms)], requestID: context.request.requestID)
    }
}
