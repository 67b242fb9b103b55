/// A request body too large to hold in memory, read in pieces.
///
/// Implementations are valid only while the request is being answered, on the
/// thread answering it. `read` returns 0 at the end of the body.
public protocol RequestBodyStream: AnyObject, Sendable {
    /// Bytes not read yet.
    var remaining: Int { get }
    func read(into buffer: UnsafeMutableRawBufferPointer) -> Int
}

/// A body held in memory, served as a stream in pieces of at most `chunk` bytes
/// (tests use tiny chunks to exercise every boundary).
public final class InMemoryBodyStream: RequestBodyStream, @unchecked Sendable {
    private let bytes: [UInt8]
    private let chunk: Int
    private var offset = 0

    public init(_ bytes: [UInt8], chunk: Int = 64 << 10) {
        self.bytes = bytes
        self.chunk = max(1, chunk)
    }

    public var remaining: Int { bytes.count - offset }

    public func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let n = min(buffer.count, chunk, remaining)
        guard n > 0 else { return 0 }
        bytes.withUnsafeBytes { source in
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[offset..<(offset + n)]))
        }
        offset += n
        return n
    }
}
