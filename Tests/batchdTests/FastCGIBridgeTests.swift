import BatchAPI
import FastCGI
import Testing

@testable import batchd

/// The CGI parameters nginx sends, turned into the request value the API layer answers.
@Suite struct FastCGIBridgeTests {
    /// Each name is a header (`HTTP_*`), one of the parameters the request is made of,
    /// or something not read; a name only near a known one is not it.
    @Test func parametersAreClassifiedByTheirNames() {
        #expect(FastCGIBridge.classify("HTTP_X_API_KEY") == .header)
        #expect(FastCGIBridge.classify("HTTP_") == .header)
        #expect(FastCGIBridge.classify("HTTP") == .other)
        #expect(FastCGIBridge.classify("HTTPS_X") == .other)
        for parameter in FastCGIBridge.KnownParameter.allCases {
            #expect(FastCGIBridge.classify(parameter.rawValue) == .known(parameter))
            #expect(FastCGIBridge.classify(parameter.rawValue.lowercased()) == .other)
            #expect(FastCGIBridge.classify(String(parameter.rawValue.dropLast())) == .other)
            #expect(FastCGIBridge.classify(parameter.rawValue + "X") == .other)
        }
        // Same length and first letter as known names, not one of them.
        #expect(FastCGIBridge.classify("REQUEST_IX") == .other)
        #expect(FastCGIBridge.classify("BATCHD_ADMITTEX") == .other)
        #expect(FastCGIBridge.classify("SERVER_PROTOCOL") == .other)
        #expect(FastCGIBridge.classify("") == .other)
        #expect(FastCGIBridge.classify(String(repeating: "Q", count: 300)) == .other)
    }

    @Test func headerNamesAreLowercasedWithDashes() {
        #expect(FastCGIBridge.headerName(fromParameter: "HTTP_X_API_KEY") == "x-api-key")
        #expect(FastCGIBridge.headerName(fromParameter: "HTTP_AUTHORIZATION") == "authorization")
        #expect(FastCGIBridge.headerName(fromParameter: "HTTP_X_1") == "x-1")
        #expect(FastCGIBridge.headerName(fromParameter: "HTTP_") == "")
    }

    /// The request value from parameters as nginx sends them: the path from
    /// DOCUMENT_URI, headers by lowercase name (nginx's own parameter after a client's
    /// header of the same name wins), the content headers, the request id, the method
    /// uppercased; an admission subrequest's path from REQUEST_URI.
    @Test func theRequestValueIsMadeFromTheParameters() {
        let params: FastCGIParams = [
            "REQUEST_METHOD": "get", "DOCUMENT_URI": "/v1/batches/b1", "REQUEST_URI": "/v1/batches/b1?x=1", "QUERY_STRING": "x=1",
            "REMOTE_ADDR": "127.0.0.1", "REQUEST_ID": "0123456789abcdef0123456789abcdef", "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": "2", "HTTP_X_API_KEY": "bd_key", "SERVER_PROTOCOL": "HTTP/1.1",
        ]
        let request = FastCGIBridge.httpRequest(from: FastCGIRequest(params: params, body: Array("{}".utf8), declaredLength: 2))
        #expect(request.method == "GET")
        #expect(request.path == "/v1/batches/b1")
        #expect(request.query["x"] == "1")
        #expect(request.remoteAddress == "127.0.0.1")
        #expect(request.requestID == "0123456789abcdef0123456789abcdef")
        #expect(request.headers["x-api-key"] == "bd_key")
        #expect(request.headers["content-type"] == "application/json")
        #expect(request.headers["content-length"] == "2")
        #expect(request.headers["server-protocol"] == nil)
        #expect(request.admission == .none)

        var later = FastCGIParams()
        later.append(name: "HTTP_HOST", value: "client.example")
        later.append(name: "HTTP_HOST", value: "nginx.example")
        later.append(name: "REQUEST_URI", value: "/v1/batches/b2?x=1")
        later.append(name: "DOCUMENT_URI", value: "/internal/admission")
        later.append(name: "BATCHD_ADMISSION", value: "1")
        let check = FastCGIBridge.httpRequest(from: FastCGIRequest(params: later))
        #expect(check.headers["host"] == "nginx.example")
        #expect(check.path == "/v1/batches/b2")
        #expect(check.admission == .check)
        #expect(check.method == "GET")
    }
}
