import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A loopback HTTP server that answers each connection with the next canned
/// answer, and keeps what each request said.
final class OneShotServer: @unchecked Sendable {
    let port: Int
    private let socketFD: Int32
    private let received = Mutex<[String]>([])

    var requests: [String] { received.withLock { $0 } }

    init(answers: [String]) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0, listen(fd, 8) == 0 else { throw POSIXError(.EADDRINUSE) }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        port = Int(UInt16(bigEndian: address.sin_port))
        socketFD = fd
        Thread.detachNewThread { [self] in
            for answer in answers {
                let client = accept(fd, nil, nil)
                guard client >= 0 else { return }
                var buffer = [UInt8](repeating: 0, count: 65536)
                let count = read(client, &buffer, buffer.count)
                self.received.withLock { $0.append(String(decoding: buffer.prefix(max(0, count)), as: UTF8.self)) }
                _ = answer.utf8CString.withUnsafeBufferPointer { write(client, $0.baseAddress, $0.count - 1) }
                close(client)
            }
        }
    }

    deinit { close(socketFD) }
}
