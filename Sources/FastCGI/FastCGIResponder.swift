/// Answers requests on one worker thread.
///
/// The server makes one responder per worker thread, on that thread, and calls it
/// only from there: a responder may own thread-bound resources (a SQLite
/// connection, a Redis connection) without locks. `respond` MUST NOT throw or
/// trap on bad input; it returns an error response instead.
public protocol FastCGIResponder: AnyObject {
    func respond(to request: FastCGIRequest) -> FastCGIResponse
}
