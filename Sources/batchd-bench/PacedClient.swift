import BatchModel
import Foundation
import Lifecycle
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A well-behaved client: `rate` GETs a second over 8 keep-alive connections,
/// each request sent when it is due, not when the previous answer came; its
/// latency counts from when it was due. Threads, not an interpreter with a
/// global lock, so its own scheduling adds microseconds, not milliseconds.
enum PacedClient {
    /// The 99th percentile latency in milliseconds.
    static func p99(port: UInt16, rate: Double, seconds: Double, key: String, path: String) -> Double {
        let connections = 8
        let latencies = Mutex<[Double]>([])
        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Api-Key: \(key)\r\n\r\n".utf8)
        let start = UInt64(SystemClock.monotonicMicroseconds() * 1000) + 50_000_000
        let finished = DispatchGroup()
        // Threads of their own: concurrentPerform would run only as many at once as there are cores.
        for lane in 0..<connections {
            finished.enter()
            WorkerThread.startOrExit(name: "paced-\(lane)") {
                defer { finished.leave() }
                let interval = Double(connections) / rate * 1e9
                var fd = connect(port: port)
                var mine: [Double] = []
                var n = 0
                while true {
                    let due = UInt64(Double(start) + (Double(n) + Double(lane) / Double(connections)) * interval)
                    if Double(due - start) > seconds * 1e9 { break }
                    let now = UInt64(SystemClock.monotonicMicroseconds() * 1000)
                    if due > now { usleep(useconds_t((due - now) / 1000)) }
                    if fd < 0 || !exchange(fd, request) {
                        close(fd)
                        fd = connect(port: port)
                    }
                    mine.append(Double(UInt64(SystemClock.monotonicMicroseconds() * 1000) - due) / 1e6)
                    n += 1
                }
                close(fd)
                latencies.withLock { $0 += mine }
            }
        }
        finished.wait()
        let sorted = latencies.withLock { $0.sorted() }
        return sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * 0.99))]
    }

    static func connect(port: UInt16) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return connected == 0 ? fd : -1
    }

    /// Sends the request and reads one whole answer (headers and Content-Length body).
    static func exchange(_ fd: Int32, _ request: [UInt8]) -> Bool {
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count else { return false }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n <= 0 { return false }
            received += buffer[0..<n]
            guard let end = received.firstRange(of: [13, 10, 13, 10]) else { continue }
            let head = String(decoding: received[..<end.lowerBound], as: UTF8.self).lowercased()
            let length =
                head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
            if received.count - end.upperBound >= length { return true }
        }
    }
}
