public import BatchAPI
import FastCGI

/// Connects the FastCGI layer to the API layer on one worker thread: turns CGI
/// parameters into an `HTTPRequest` and an `HTTPResponse` back into a CGI response.
final class FastCGIBridge: FastCGIResponder {
    let application: APIApplication

    init(application: APIApplication) { self.application = application }

    func respond(to request: FastCGIRequest) -> FastCGIResponse {
        let response = application.respond(to: Self.httpRequest(from: request))
        let stream = response.stream.map { stream in FastCGIBodyProducer { write in stream.run(write: write) } }
        return FastCGIResponse(status: response.status, headers: response.headers, body: response.body, stream: stream)
    }

    static func httpRequest(from request: FastCGIRequest) -> HTTPRequest {
        let params = request.params
        var headers = HTTPHeaders()
        headers.reserveCapacity(params.count)
        for parameter in params where parameter.name.utf8.starts(with: "HTTP_".utf8) {
            headers.append(lowercasedName: Self.headerName(fromParameter: parameter.name), value: parameter.value)
        }
        if let contentType = params["CONTENT_TYPE"], !contentType.isEmpty { headers.append(lowercasedName: "content-type", value: contentType) }
        if let contentLength = params["CONTENT_LENGTH"], !contentLength.isEmpty {
            headers.append(lowercasedName: "content-length", value: contentLength)
        }
        let admission = RequestAdmission(check: params["BATCHD_ADMISSION"], admitted: params["BATCHD_ADMITTED"])
        let path: String
        // An admission subrequest's own URI is nginx's internal one: the request's is in REQUEST_URI.
        if admission != .check, let uri = params["DOCUMENT_URI"], !uri.isEmpty {
            path = uri
        } else {
            path = String((params["REQUEST_URI"] ?? "/").split(separator: "?", maxSplits: 1).first ?? "/")
        }
        var http = HTTPRequest(
            method: (params["REQUEST_METHOD"] ?? "GET").uppercased(),
            path: path,
            query: QueryParameters(parsing: params["QUERY_STRING"] ?? ""),
            headers: headers,
            remoteAddress: params["REMOTE_ADDR"] ?? "",
            requestID: RequestID.sanitized(params["REQUEST_ID"]),
            body: request.body,
            bodyStream: request.bodyStream,
            bodyTooLarge: request.bodyTooLarge,
            declaredBodyLength: request.declaredLength,
            bodyTruncated: request.bodyTruncated)
        // Parameters only nginx sets (a client's headers arrive as HTTP_*).
        http.admission = admission
        return http
    }
}

extension FastCGIBridge {
    /// `HTTP_X_API_KEY` → `x-api-key`, in one pass over the bytes (every request pays for each header).
    static func headerName(fromParameter name: String) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(name.utf8.count - 5)
        for byte in name.utf8.dropFirst(5) {
            switch byte {
            case UInt8(ascii: "_"): bytes.append(UInt8(ascii: "-"))
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): bytes.append(byte | 0x20)
            default: bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// libfcgi's stream is the API layer's body stream: read in pieces on the worker thread.
extension FastCGIBodyStream: RequestBodyStream {}
