import BatchModel

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
            body: Array(context.resources.metrics.prometheusText().utf8))
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
