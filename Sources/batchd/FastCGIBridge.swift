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
            switch Self.classify(parameter.name) {
            case .header: headers.append(lowercasedName: Self.headerName(fromParameter: parameter.name), value: parameter.value)
            case .known(.requestMethod): method = parameter.value
            case .known(.documentURI): documentURI = parameter.value
            case .known(.requestURI): requestURI = parameter.value
            case .known(.queryString): query = parameter.value
            case .known(.remoteAddress): remoteAddress = parameter.value
            case .known(.requestID): requestID = parameter.value
            case .known(.contentType): contentType = parameter.value
            case .known(.contentLength): contentLength = parameter.value
            case .known(.admission): admissionCheck = parameter.value
            case .known(.admitted): admitted = parameter.value
            case .other: continue
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

    /// What a parameter's name makes it.
    enum Classified: Equatable {
        /// `HTTP_*`: a request header.
        case header
        case known(KnownParameter)
        /// Anything else nginx sends (`SERVER_PROTOCOL`, …): not read.
        case other
    }

    /// The known parameters' names by their length (at most two share one), each with
    /// its case: an enum's raw value is made again each time it is asked for.
    static let knownByLength: [[(name: String, parameter: KnownParameter)]] = {
        var table = [[(name: String, parameter: KnownParameter)]](
            repeating: [], count: KnownParameter.allCases.map(\.rawValue.utf8.count).max()! + 1)
        for parameter in KnownParameter.allCases { table[parameter.rawValue.utf8.count].append((parameter.rawValue, parameter)) }
        return table
    }()

    /// What `name` is, from its own bytes: a header by its prefix, or a known parameter
    /// among the names of its length (every parameter of every request comes here; a
    /// `switch` over the names compared each with every name in turn, a call into the
    /// runtime each, and a prefix test through the generic `starts(with:)` was as much again).
    static func classify(_ name: String) -> Classified {
        let prefix = name.utf8.withContiguousStorageIfAvailable { bytes in
            bytes.count >= 5 && bytes[0] == UInt8(ascii: "H") && bytes[1] == UInt8(ascii: "T") && bytes[2] == UInt8(ascii: "T")
                && bytes[3] == UInt8(ascii: "P") && bytes[4] == UInt8(ascii: "_")
        }
        if prefix ?? name.utf8.starts(with: "HTTP_".utf8) { return .header }
        let length = name.utf8.count
        guard length < knownByLength.count else { return .other }
        for candidate in knownByLength[length] where candidate.name == name { return .known(candidate.parameter) }
        return .other
    }

    /// `HTTP_X_API_KEY` → `x-api-key`, in one pass over the bytes into the new string's
    /// own storage (every request pays for each header).
    static func headerName(fromParameter name: String) -> String {
        let count = max(0, name.utf8.count - 5)
        func lowered(_ byte: UInt8) -> UInt8 {
            switch byte {
            case UInt8(ascii: "_"): UInt8(ascii: "-")
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): byte | 0x20
            default: byte
            }
        }
        let made = name.utf8.withContiguousStorageIfAvailable { bytes in
            String(unsafeUninitializedCapacity: count) { target in
                for index in 0..<count { target[index] = lowered(bytes[index + 5]) }
                return count
            }
        }
        return made ?? String(decoding: name.utf8.dropFirst(5).map(lowered), as: UTF8.self)
    }
}

/// libfcgi's stream is the API layer's body stream: read in pieces on the worker thread.
extension FastCGIBodyStream: RequestBodyStream {}
