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

    /// The request value, from one pass over the parameters (a later one of the same
    /// name wins, as nginx's own `fastcgi_param` over a client's header).
    static func httpRequest(from request: FastCGIRequest) -> HTTPRequest {
        var headers = HTTPHeaders()
        headers.reserveCapacity(request.params.count)
        var method = "GET"
        var (documentURI, requestURI, query, remoteAddress) = ("", "/", "", "")
        var (requestID, admissionCheck, admitted): (String?, String?, String?) = (nil, nil, nil)
        var (contentType, contentLength) = ("", "")
        for parameter in request.params {
            if parameter.name.utf8.starts(with: "HTTP_".utf8) {
                headers.append(lowercasedName: Self.headerName(fromParameter: parameter.name), value: parameter.value)
                continue
            }
            switch parameter.name {
            case "REQUEST_METHOD": method = parameter.value
            case "DOCUMENT_URI": documentURI = parameter.value
            case "REQUEST_URI": requestURI = parameter.value
            case "QUERY_STRING": query = parameter.value
            case "REMOTE_ADDR": remoteAddress = parameter.value
            case "REQUEST_ID": requestID = parameter.value
            case "CONTENT_TYPE": contentType = parameter.value
            case "CONTENT_LENGTH": contentLength = parameter.value
            case "BATCHD_ADMISSION": admissionCheck = parameter.value
            case "BATCHD_ADMITTED": admitted = parameter.value
            default: continue
            }
        }
        if !contentType.isEmpty { headers.append(lowercasedName: "content-type", value: contentType) }
        if !contentLength.isEmpty { headers.append(lowercasedName: "content-length", value: contentLength) }
        let admission = RequestAdmission(check: admissionCheck, admitted: admitted)
        let path: String
        // An admission subrequest's own URI is nginx's internal one: the request's is in REQUEST_URI.
        if admission != .check, !documentURI.isEmpty {
            path = documentURI
        } else {
            path = String(requestURI.split(separator: "?", maxSplits: 1).first ?? "/")
        }
        var http = HTTPRequest(
            method: method.utf8.allSatisfy({ $0 < 0x61 || $0 > 0x7A }) ? method : method.uppercased(),
            path: path,
            query: QueryParameters(parsing: query),
            headers: headers,
            remoteAddress: remoteAddress,
            requestID: RequestID.sanitized(requestID),
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
        let count = max(0, name.utf8.count - 5)
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(1, count)) { bytes in
            for (index, byte) in name.utf8.dropFirst(5).enumerated() {
                switch byte {
                case UInt8(ascii: "_"): bytes[index] = UInt8(ascii: "-")
                case UInt8(ascii: "A")...UInt8(ascii: "Z"): bytes[index] = byte | 0x20
                default: bytes[index] = byte
                }
            }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[..<count]), as: UTF8.self)
        }
    }
}

/// libfcgi's stream is the API layer's body stream: read in pieces on the worker thread.
extension FastCGIBodyStream: RequestBodyStream {}
