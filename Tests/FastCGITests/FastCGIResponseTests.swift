import Testing

@testable import FastCGI

@Suite struct FastCGIResponseTests {
    @Test func encodesACGIResponse() {
        let response = FastCGIResponse(status: 404, headers: [("Content-Type", "application/json"), ("X-Request-Id", "abc")], body: Array("{}".utf8))
        let expected = "Status: 404 Not Found\r\nContent-Type: application/json\r\nX-Request-Id: abc\r\nContent-Length: 2\r\n\r\n{}"
        #expect(response.encoded() == Array(expected.utf8))
    }

    @Test func theHeadEndsWhereTheBodyStarts() {
        let response = FastCGIResponse(status: 299, body: Array(repeating: UInt8(ascii: "x"), count: 1_234_567))
        #expect(String(decoding: response.head(), as: UTF8.self) == "Status: 299 Status\r\nContent-Length: 1234567\r\n\r\n")
        #expect(response.encoded() == response.head() + response.body)
        #expect(String(decoding: FastCGIResponse(status: 204).head(), as: UTF8.self) == "Status: 204 No Content\r\nContent-Length: 0\r\n\r\n")
        // A streamed body's length is the one its headers give, if any.
        let streamed = FastCGIResponse(status: 200, headers: [("Content-Length", "10")], stream: FastCGIBodyProducer { _ in })
        #expect(String(decoding: streamed.encoded(), as: UTF8.self) == "Status: 200 OK\r\nContent-Length: 10\r\n\r\n")
    }

    @Test func headerValuesCannotSmuggleHeaders() {
        let response = FastCGIResponse(status: 200, headers: [("X-Test", "a\r\nSet-Cookie: evil")])
        let text = String(decoding: response.encoded(), as: UTF8.self)
        #expect(text.contains("X-Test: aSet-Cookie: evil\r\n"))
        #expect(!text.contains("\r\nSet-Cookie"))
    }

    @Test func readsParamsFromEnvp() {
        let entries = ["REQUEST_METHOD=GET", "QUERY_STRING=a=b&c=d", "EMPTY=", "NOEQUALS"]
        var pointers: [UnsafeMutablePointer<CChar>?] = entries.map { strdup($0) } + [nil]
        defer { pointers.forEach { free($0) } }
        let params = pointers.withUnsafeMutableBufferPointer { FastCGIServer.readParams($0.baseAddress) }
        #expect(params == ["REQUEST_METHOD": "GET", "QUERY_STRING": "a=b&c=d", "EMPTY": ""])
        #expect(params.map(\.name) == ["REQUEST_METHOD", "QUERY_STRING", "EMPTY"])
        #expect(params["NOEQUALS"] == nil && params["MISSING"] == nil && params["EMPTY"] == "")
    }

    @Test func aLaterParameterOfTheSameNameWins() {
        var params: FastCGIParams = ["HTTP_HOST": "first"]
        params.append(name: "HTTP_HOST", value: "second")
        #expect(params["HTTP_HOST"] == "second" && params.count == 2)
        #expect(params == ["HTTP_HOST": "second"])
    }
}

#if canImport(Glibc)
    import Glibc
#endif
