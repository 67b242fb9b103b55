import Foundation
import Testing

@testable import FastCGI

/// The server against a FastCGI client written here, byte by byte, so the test
/// controls when each record arrives (nginx decides that itself).
@Suite struct FastCGIServerTests {
    /// Echoes the body with the request method.
    final class EchoResponder: FastCGIResponder {
        func respond(to request: FastCGIRequest) -> FastCGIResponse {
            FastCGIResponse(status: 200, headers: [], body: Array((request.params["REQUEST_METHOD"] ?? "?").utf8) + [0x20] + request.body)
        }
    }

    /// A body's end-of-stream record that arrives after its last byte (as it does
    /// when nginx writes a large body in pieces under load) is read before the
    /// request ends, so the kept-open connection serves the next request. Left
    /// unread, libfcgi's next accept took it for a protocol error and closed the
    /// connection: nginx then answered the next request on it with a 502.
    @Test func aLateEndOfBodyKeepsTheConnection() throws {
        try FastCGIServer.initializeLibrary()
        let path = NSTemporaryDirectory() + "fcgi-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
        let server = FastCGIServer(configuration: .init(socketPath: path, threadCount: 2)) { EchoResponder() }
        try server.start()
        defer {
            server.beginStopping()
            _ = server.finishStopping(by: .now() + 5)
        }
        let client = try RawFastCGIClient(path: path)
        defer { client.close() }

        // Request 1: the body, then the empty record that ends it 200 ms later.
        try client.send(client.begin(id: 1) + client.params(id: 1, ["REQUEST_METHOD": "POST", "CONTENT_LENGTH": "5"]))
        try client.send(client.record(type: 5, id: 1, Array("hello".utf8)))
        usleep(200_000)
        try client.send(client.record(type: 5, id: 1, []))
        #expect(try client.readResponse().hasSuffix("POST hello"))

        // Request 2 and 3 on the same connection: answered, not a closed connection.
        try client.send(
            client.begin(id: 1) + client.params(id: 1, ["REQUEST_METHOD": "POST", "CONTENT_LENGTH": "3"])
                + client.record(type: 5, id: 1, Array("abc".utf8))
                + client.record(type: 5, id: 1, []))
        #expect(try client.readResponse().hasSuffix("POST abc"))
        try client.send(client.begin(id: 1) + client.params(id: 1, ["REQUEST_METHOD": "GET"]) + client.record(type: 5, id: 1, []))
        #expect(try client.readResponse().hasSuffix("GET "))
    }
}

/// The client side of FastCGI over a unix socket, enough for one request at a
/// time on a kept-open connection.
final class RawFastCGIClient {
    struct Failure: Error { let what: String }
    private let fd: Int32

    init(path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.prefix(raw.count - 1).enumerated() { raw[index] = byte }
        }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else { throw Failure(what: "connect: \(String(cString: strerror(errno)))") }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    func close() { Glibc.close(fd) }

    func record(type: UInt8, id: UInt16, _ content: [UInt8]) -> [UInt8] {
        let padding = (8 - content.count % 8) % 8
        return [1, type, UInt8(id >> 8), UInt8(id & 0xFF), UInt8(content.count >> 8), UInt8(content.count & 0xFF), UInt8(padding), 0] + content
            + [UInt8](repeating: 0, count: padding)
    }

    /// BEGIN_REQUEST, responder role, keep the connection.
    func begin(id: UInt16) -> [UInt8] { record(type: 1, id: id, [0, 1, 1, 0, 0, 0, 0, 0]) }

    /// The parameters (short names and values), then the empty record that ends them.
    func params(id: UInt16, _ values: [String: String]) -> [UInt8] {
        var content: [UInt8] = []
        for (name, value) in values { content += [UInt8(name.utf8.count), UInt8(value.utf8.count)] + Array(name.utf8) + Array(value.utf8) }
        return record(type: 4, id: id, content) + record(type: 4, id: id, [])
    }

    func send(_ bytes: [UInt8]) throws {
        let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == bytes.count else { throw Failure(what: "send failed") }
    }

    /// Standard output up to END_REQUEST, as text.
    func readResponse() throws -> String {
        var output: [UInt8] = []
        while true {
            let header = try read(8)
            let length = Int(header[4]) << 8 | Int(header[5])
            let content = try read(length + Int(header[6]))
            switch header[1] {
            case 6: output += content.prefix(length)
            case 3: return String(decoding: output, as: UTF8.self)
            default: break
            }
        }
    }

    private func read(_ count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let n = bytes.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + filled, count - filled, 0) }
            guard n > 0 else { throw Failure(what: "the server closed the connection") }
            filled += n
        }
        return bytes
    }
}
