/// A response body produced while it is sent (a results download larger than
/// any buffer): `run` hands `write` one chunk at a time and stops when `write`
/// answers false (the client went away). It runs once, on the worker thread
/// that answered, after the head is sent, so it may use that worker's store
/// connection.
///
/// Whatever must last as long as the body (the tenant's place in the
/// concurrency budget) is released by `onFinish` handlers: after `run`, or when
/// the stream is dropped unrun (an answer that never reached the wire).
public final class ResponseBodyStream: @unchecked Sendable {
    private let producer: (_ write: ([UInt8]) -> Bool) -> Void
    private var finishers: [() -> Void] = []

    public init(_ producer: @escaping (_ write: ([UInt8]) -> Bool) -> Void) { self.producer = producer }

    /// Adds work to do once the body is done (or dropped).
    public func onFinish(_ finisher: @escaping () -> Void) { finishers.append(finisher) }

    public func run(write: ([UInt8]) -> Bool) {
        withoutActuallyEscaping(write) { producer($0) }
        finish()
    }

    /// The whole body in memory: for tests and small answers.
    public func collect() -> [UInt8] {
        var body: [UInt8] = []
        run { chunk in
            body += chunk
            return true
        }
        return body
    }

    private func finish() {
        let pending = finishers
        finishers = []
        for finisher in pending { finisher() }
    }

    deinit { finish() }
}
