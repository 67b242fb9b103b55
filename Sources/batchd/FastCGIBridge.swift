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
            switch Self.knownParameter(parameter.name) {
            case .requestMethod: method = parameter.value
            case .documentURI: documentURI = parameter.value
            case .requestURI: requestURI = parameter.value
            case .queryString: query = parameter.value
            case .remoteAddress: remoteAddress = parameter.value
            case .requestID: requestID = parameter.value
            case .contentType: contentType = parameter.value
            case .contentLength: contentLength = parameter.value
            case .admission: admissionCheck = parameter.value
            case .admitted: admitted = parameter.value
            case nil: continue
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
    /// The parameters the request value is made of.
    enum KnownParameter: String, CaseIterable {
        case requestMethod = "REQUEST_METHOD"
        case documentURI = "DOCUMENT_URI"
        case requestURI = "REQUEST_URI"
        case queryString = "QUERY_STRING"
        case remoteAddress = "REMOTE_ADDR"
        case requestID = "REQUEST_ID"
        case contentType = "CONTENT_TYPE"
        case contentLength = "CONTENT_LENGTH"
        case admission = "BATCHD_ADMISSION"
        case admitted = "BATCHD_ADMITTED"
    }

    /// The known parameters by the length of their names (at most two share one).
    static let knownByLength: [[KnownParameter]] = {
        var table = [[KnownParameter]](repeating: [], count: KnownParameter.allCases.map(\.rawValue.utf8.count).max()! + 1)
        for parameter in KnownParameter.allCases { table[parameter.rawValue.utf8.count].append(parameter) }
        return table
    }()

    /// Which known parameter `name` is, if any: the names of its length compared by
    /// their first byte, then the one left compared once (a `switch` over the names
    /// compared each parameter with every name in turn, a call into the runtime each:
    /// 3% of a cached status).
    static func knownParameter(_ name: String) -> KnownParameter? {
        let utf8 = name.utf8
        guard utf8.count < knownByLength.count, let first = utf8.first else { return nil }
        for candidate in knownByLength[utf8.count] where candidate.rawValue.utf8.first == first && candidate.rawValue == name {
            return candidate
        }
        return nil
    }

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
