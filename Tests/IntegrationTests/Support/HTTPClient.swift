import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// One HTTP/1.1 answer as the test sees it.
struct HTTPResult: Sendable {
    var status: Int
    /// Lower-cased header names.
    var headers: [String: String]
    var body: [UInt8]

    var text: String { String(decoding: body, as: UTF8.self) }

    /// The body parsed as a JSON object, or an empty dictionary.
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:]
    }
}

enum HTTPClientError: Error {
    case connect(Int32)
    case send, receive
    case malformed(String)
}

/// A deliberately small HTTP/1.1 client over a POSIX socket: one request per
/// connection (`Connection: close`), so the tests depend on nothing but nginx.
enum HTTPClient {
    static func send(
        port: Int, method: String = "GET", path: String, headers: [String: String] = [:], body: [UInt8] = [],
        sourceAddress: String? = nil, timeoutSeconds: Int = 30
    ) throws -> HTTPResult {
        let fd = try openSocket(timeoutSeconds: timeoutSeconds)
        defer { close(fd) }
        if let sourceAddress {
            var local = sockaddr_in()
            local.sin_family = sa_family_t(AF_INET)
            inet_pton(AF_INET, sourceAddress, &local.sin_addr)
            let rc = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard rc == 0 else { throw HTTPClientError.connect(errno) }
        }
        try connectLoopback(fd, port: port)

        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if !body.isEmpty || method == "POST" || method == "PUT" || method == "PATCH" { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        return try exchange(fd, Array(head.utf8) + body)
    }

    /// Sends the first `bytes` of a request whose body is longer, never the rest,
    /// and returns the answer that came anyway, once its declared body is in;
    /// nil when none came within `timeoutSeconds` (nginx still waiting for the body).
    static func sendStartOnly(port: Int, _ bytes: [UInt8], timeoutSeconds: Int = 5) throws -> HTTPResult? {
        let fd = try openSocket(timeoutSeconds: timeoutSeconds)
        defer { close(fd) }
        try connectLoopback(fd, port: port)
        try writeAll(fd, bytes)
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            if let answer = try? parse(received), answer.body.count >= Int(answer.headers["content-length"] ?? "0") ?? 0 { return answer }
            let n = read(fd, &buffer, buffer.count)
            if n <= 0 { return nil }
            received.append(contentsOf: buffer[0..<n])
        }
    }

    /// Sends `bytes` exactly as given (a request no well-behaved client would
    /// write) and reads the answer until nginx closes the connection.
    static func sendRaw(port: Int, _ bytes: [UInt8], timeoutSeconds: Int = 30) throws -> HTTPResult {
        let fd = try openSocket(timeoutSeconds: timeoutSeconds)
        defer { close(fd) }
        try connectLoopback(fd, port: port)
        return try exchange(fd, bytes)
    }

    /// A TCP socket whose reads and writes give up after `timeoutSeconds`.
    private static func openSocket(timeoutSeconds: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HTTPClientError.connect(errno) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }

    private static func exchange(_ fd: Int32, _ request: [UInt8]) throws -> HTTPResult {
        try writeAll(fd, request)

        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n < 0 { throw HTTPClientError.receive }
            if n == 0 { break }
            received.append(contentsOf: buffer[0..<n])
        }
        return try parse(received)
    }

    /// Sends a request and closes the connection without reading the answer,
    /// like a client that gives up.
    static func sendAndHangUp(port: Int, path: String, headers: [String: String], afterMilliseconds: Int) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HTTPClientError.connect(errno) }
        try connectLoopback(fd, port: port)
        var head = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        try writeAll(fd, Array((head + "\r\n").utf8))
        usleep(useconds_t(afterMilliseconds * 1000))
        close(fd)
    }

    private static func connectLoopback(_ fd: Int32, port: Int) throws {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { throw HTTPClientError.connect(errno) }
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            // The server may answer (413) and close before reading the whole body.
            if n <= 0 { return }
            offset += n
        }
    }

    static func parse(_ bytes: [UInt8]) throws -> HTTPResult {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = (0...(max(bytes.count - 4, 0))).first(where: { Array(bytes[$0..<min($0 + 4, bytes.count)]) == separator }) else {
            throw HTTPClientError.malformed(String(decoding: bytes, as: UTF8.self))
        }
        let head = String(decoding: bytes[0..<end], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw HTTPClientError.malformed(head) }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers[name] = headers[name].map { $0 + ", " + value } ?? value
        }
        var body = Array(bytes[(end + 4)...])
        if headers["transfer-encoding"]?.lowercased() == "chunked" { body = dechunk(body) }
        return HTTPResult(status: status, headers: headers, body: body)
    }

    private static func dechunk(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var index = 0
        while index < bytes.count {
            guard let lineEnd = (index..<bytes.count - 1).first(where: { bytes[$0] == 13 && bytes[$0 + 1] == 10 }) else { break }
            let size = Int(String(decoding: bytes[index..<lineEnd], as: UTF8.self).split(separator: ";")[0], radix: 16) ?? 0
            if size == 0 { break }
            out.append(contentsOf: bytes[(lineEnd + 2)..<min(lineEnd + 2 + size, bytes.count)])
            index = lineEnd + 2 + size + 2
        }
        return out
    }
}
