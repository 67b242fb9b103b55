/// A response body written while it is produced, for answers too large to build
/// in memory. After the head, the server calls `produce` once, on the worker
/// thread that made the response, with a `write` that sends one chunk and
/// answers false once the client is gone (the producer then stops). Without a
/// `Content-Length` header of the response's own, nginx delimits the body by
/// the end of the FastCGI request (chunked to an HTTP/1.1 client).
///
/// Unchecked `Sendable`: the producer may hold the worker thread's own
/// resources (its store connection) because it runs on that thread only.
public final class FastCGIBodyProducer: @unchecked Sendable {
    private let producer: (_ write: ([UInt8]) -> Bool) -> Void

    public init(_ producer: @escaping (_ write: ([UInt8]) -> Bool) -> Void) { self.producer = producer }

    public func produce(write: ([UInt8]) -> Bool) {
        withoutActuallyEscaping(write) { producer($0) }
    }
}
