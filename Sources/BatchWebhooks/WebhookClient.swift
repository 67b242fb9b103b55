import BatchModel
import Dispatch
import Foundation
import Synchronization

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
#if canImport(Glibc)
    import Glibc
#endif

/// Sends one webhook where `WebhookPolicy` lets it go: the host is resolved here
/// and the address connected to is the vetted one (plain HTTP is spoken by hand
/// over that connection); redirects are never followed (a 3xx is a failure).
/// HTTPS goes through Foundation's client after the same DNS check, so a name
/// that resolves differently a moment later is the one gap left (noted in the README).
enum WebhookClient {
    /// nil on a 2xx answer, else why the delivery failed.
    static func post(url: String, body: [UInt8], headers: [String: String], timeout: Double, policy: WebhookPolicy) -> String? {
        let target: WebhookTarget
        switch policy.check(url) {
        case .success(let checked): target = checked
        case .failure(let refusal): return "refused: notification_url \(refusal)"
        }
        let address: IPAddress
        switch policy.address(for: target, resolved: target.literalAddress.map { [$0] } ?? resolve(target.host)) {
        case .success(let vetted): address = vetted
        case .failure(let refusal): return "refused: notification_url \(refusal)"
        }
        if target.secure { return postTLS(url: url, body: body, headers: headers, timeout: timeout) }
        return postPlain(to: address, target: target, body: body, headers: headers, timeout: timeout)
    }

    static func resolve(_ host: String) -> [IPAddress] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &list) == 0, let first = list else { return [] }
        defer { freeaddrinfo(first) }
        var addresses: [IPAddress] = []
        var next: UnsafeMutablePointer<addrinfo>? = first
        while let entry = next {
            if entry.pointee.ai_family == AF_INET, let raw = entry.pointee.ai_addr {
                let v4 = raw.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
                if let address = withUnsafeBytes(of: v4, { IPAddress(bytes: Array($0)) }) { addresses.append(address) }
            } else if entry.pointee.ai_family == AF_INET6, let raw = entry.pointee.ai_addr {
                let v6 = raw.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_addr }
                if let address = withUnsafeBytes(of: v6, { IPAddress(bytes: Array($0)) }) { addresses.append(address) }
            }
            next = entry.pointee.ai_next
        }
        return addresses
    }

    /// HTTP/1.1 over a connection to `address` itself; reads only the status line.
    static func postPlain(to address: IPAddress, target: WebhookTarget, body: [UInt8], headers: [String: String], timeout: Double) -> String? {
        let fd = socket(address.isV6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return "cannot open a socket" }
        defer { close(fd) }
        var wait = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
        // SO_SNDTIMEO also bounds connect(2) on Linux.
        let connected: Int32
        if address.isV6 {
            var socketAddress = sockaddr_in6()
            socketAddress.sin6_family = sa_family_t(AF_INET6)
            socketAddress.sin6_port = UInt16(target.port).bigEndian
            withUnsafeMutableBytes(of: &socketAddress.sin6_addr) { $0.copyBytes(from: address.bytes) }
            connected = connect(fd, socketAddress)
        } else {
            var socketAddress = sockaddr_in()
            socketAddress.sin_family = sa_family_t(AF_INET)
            socketAddress.sin_port = UInt16(target.port).bigEndian
            withUnsafeMutableBytes(of: &socketAddress.sin_addr) { $0.copyBytes(from: address.bytes) }
            connected = connect(fd, socketAddress)
        }
        guard connected == 0 else { return "cannot connect to \(target.hostHeader): \(String(cString: strerror(errno)))" }
        var head =
            "POST \(target.requestTarget) HTTP/1.1\r\nHost: \(target.hostHeader)\r\nContent-Length: \(body.count)\r\nConnection: close\r\nUser-Agent: batchd\r\n"
        for (name, value) in headers where !name.contains("\r") && !name.contains("\n") && !value.contains("\r") && !value.contains("\n") {
            head += "\(name): \(value)\r\n"
        }
        let request = Array((head + "\r\n").utf8) + body
        var sent = 0
        while sent < request.count {
            let n = request[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { return errno == EAGAIN ? "timed out after \(Int(timeout)) s" : "the receiver closed the connection" }
            sent += n
        }
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while line.count < 200 {
            let n = read(fd, &byte, 1)
            if n < 0, errno == EINTR { continue }
            guard n == 1 else { return n < 0 && errno == EAGAIN ? "timed out after \(Int(timeout)) s" : "no answer" }
            if byte == UInt8(ascii: "\n") { break }
            line.append(byte)
        }
        let parts = String(decoding: line, as: UTF8.self).split(separator: " ")
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let code = Int(parts[1]) else { return "the answer was not HTTP" }
        return status(code)
    }

    /// connect(2) to a `sockaddr_in` or `sockaddr_in6`.
    private static func connect<Address>(_ fd: Int32, _ socketAddress: Address) -> Int32 {
        var copy = socketAddress
        return withUnsafePointer(to: &copy) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<Address>.size)) }
        }
    }

    static func status(_ code: Int) -> String? {
        if (200..<300).contains(code) { return nil }
        if (300..<400).contains(code) { return "HTTP \(code): redirects are not followed" }
        return "HTTP \(code)"
    }

    /// Refuses every redirect: the answer is then the 3xx itself.
    final class NoRedirects: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
        func urlSession(
            _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse, newRequest request: URLRequest,
            completionHandler: @escaping (URLRequest?) -> Void
        ) { completionHandler(nil) }
    }

    static let tlsSession = URLSession(configuration: .ephemeral, delegate: NoRedirects(), delegateQueue: nil)

    static func postTLS(url: String, body: [UInt8], headers: [String: String], timeout: Double) -> String? {
        guard let target = URL(string: url) else { return "invalid URL" }
        var request = URLRequest(url: target, timeoutInterval: timeout)
        request.httpMethod = "POST"
        request.httpBody = Data(body)
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let outcome = Mutex<String?>("no answer")
        let done = DispatchSemaphore(value: 0)
        let task = tlsSession.dataTask(with: request) { _, response, error in
            let code = (response as? HTTPURLResponse)?.statusCode ?? 0
            let failure: String? = if let error { error.localizedDescription } else { status(code) }
            outcome.withLock { $0 = failure }
            done.signal()
        }
        task.resume()
        if done.wait(timeout: .now() + timeout + 1) == .timedOut {
            task.cancel()
            return "timed out after \(Int(timeout)) s"
        }
        return outcome.withLock { $0 }
    }
}
