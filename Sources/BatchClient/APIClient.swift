public import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A tenant's HTTP client for batchd (or anything speaking its API), through
/// URLSession (HTTPS included). Every call blocks until its answer.
///
/// Polite by construction: a 429 or 503 with `Retry-After` is asked again only
/// after exactly that many seconds (`retries` times at most); a connection that
/// fails is tried again after 1, 2, 4 s. Every request goes through `send`, so
/// no command can skip either rule.
public final class APIClient: @unchecked Sendable {
    public let baseURL: URL
    let key: String
    public var retries = 10
    /// Told of every wait (`Retry-After`, reconnects), for `--verbose` and tests.
    public var onWait: (@Sendable (_ seconds: Double, _ reason: String) -> Void)?
    /// Sleeps; replaced by tests.
    var sleep: @Sendable (Double) -> Void = { seconds in Thread.sleep(forTimeInterval: seconds) }

    public init(url: String, key: String) throws(ClientError) {
        var text = url
        while text.hasSuffix("/") { text.removeLast() }
        guard let parsed = URL(string: text), let scheme = parsed.scheme, ["http", "https"].contains(scheme.lowercased()), parsed.host != nil else {
            throw .usage("the URL must be http:// or https:// with a host (got '\(url)')")
        }
        guard !key.isEmpty else { throw .usage("no API key: give --key or set BATCHD_KEY") }
        baseURL = parsed
        self.key = key
    }

    /// A request's answer, the body kept in memory (JSON answers).
    public func send(_ method: String, _ path: String, headers: [String: String] = [:], body: Data? = nil) throws(ClientError) -> ClientResponse {
        try withRetries(method, path) { request throws(ClientError) in
            var request = request
            request.httpMethod = method
            for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
            request.httpBody = body
            return try Transfer.run(request, sink: nil, upload: nil, progress: nil)
        }
    }

    /// Uploads the file as the body, telling `progress` the bytes sent so far.
    public func upload(
        _ method: String, _ path: String, headers: [String: String], file: URL, progress: (@Sendable (Int64, Int64) -> Void)?
    ) throws(ClientError) -> ClientResponse {
        try withRetries(method, path) { request throws(ClientError) in
            var request = request
            request.httpMethod = method
            for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
            return try Transfer.run(request, sink: nil, upload: file, progress: progress)
        }
    }

    /// A GET whose 2xx body goes to `sink` (with the status: 200 or 206) as it
    /// arrives, in constant memory; `headers` may ask for a range. Other answers keep their body.
    public func download(
        _ path: String, headers: [String: String], sink: @escaping @Sendable (Int, Data) -> Void
    ) throws(ClientError) -> ClientResponse {
        try withRetries("GET", path) { request throws(ClientError) in
            var request = request
            for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
            return try Transfer.run(request, sink: sink, upload: nil, progress: nil)
        }
    }

    private func withRetries(
        _ method: String, _ path: String, _ attempt: (URLRequest) throws(ClientError) -> ClientResponse
    ) throws(ClientError) -> ClientResponse {
        guard let url = URL(string: baseURL.absoluteString + path) else { throw .usage("not a path: \(path)") }
        var request = URLRequest(url: url)
        request.setValue(key, forHTTPHeaderField: "X-Api-Key")
        request.setValue("batchcli", forHTTPHeaderField: "User-Agent")
        request.timeoutInterval = 120
        var connectionFailures = 0
        var waits = 0
        while true {
            let response: ClientResponse
            do {
                response = try attempt(request)
            } catch .unavailable(let reason) where connectionFailures < 3 {
                let pause = Double(1 << connectionFailures)
                connectionFailures += 1
                onWait?(pause, "\(method) \(path): \(reason)")
                sleep(pause)
                continue
            }
            if [429, 503].contains(response.status), let seconds = response.retryAfter, waits < retries {
                waits += 1
                onWait?(Double(seconds), "\(method) \(path): \(response.status), Retry-After \(seconds)")
                sleep(Double(seconds))
                continue
            }
            return response
        }
    }
}

/// One URLSession task run to its end on a private session: the body collected
/// or handed to a sink, upload progress reported.
final class Transfer: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    let sink: (@Sendable (Int, Data) -> Void)?
    let progress: (@Sendable (Int64, Int64) -> Void)?
    let done = DispatchSemaphore(value: 0)
    var status = 0
    var headers: [String: String] = [:]
    var body: [UInt8] = []
    var failure: (any Error)?

    init(sink: (@Sendable (Int, Data) -> Void)?, progress: (@Sendable (Int64, Int64) -> Void)?) {
        self.sink = sink
        self.progress = progress
    }

    static func run(
        _ request: URLRequest, sink: (@Sendable (Int, Data) -> Void)?, upload: URL?, progress: (@Sendable (Int64, Int64) -> Void)?
    ) throws(ClientError) -> ClientResponse {
        let transfer = Transfer(sink: sink, progress: progress)
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = request.timeoutInterval
        let session = URLSession(configuration: configuration, delegate: transfer, delegateQueue: nil)
        defer { session.finishTasksAndInvalidate() }
        let task = upload.map { session.uploadTask(with: request, fromFile: $0) } ?? session.dataTask(with: request)
        task.resume()
        transfer.done.wait()
        if let failure = transfer.failure {
            throw .unavailable("\(request.url?.absoluteString ?? ""): \(failure.localizedDescription)")
        }
        return ClientResponse(status: transfer.status, headers: transfer.headers, body: transfer.body)
    }

    func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void
    ) {
        if let http = response as? HTTPURLResponse {
            status = http.statusCode
            for (name, value) in http.allHeaderFields {
                if let name = name as? String, let value = value as? String { headers[name.lowercased()] = value }
            }
        }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        if let sink, (200..<300).contains(status) { sink(status, data) } else { body.append(contentsOf: data) }
    }

    func urlSession(
        _ session: URLSession, task: URLSessionTask, didSendBodyData bytesSent: Int64, totalBytesSent: Int64, totalBytesExpectedToSend: Int64
    ) {
        progress?(totalBytesSent, totalBytesExpectedToSend)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        failure = error
        done.signal()
    }
}
