import Testing

@testable import BatchAPI

struct HTTPResponseTests {
    /// Header names compare ASCII letters without case and every other byte exactly.
    @Test func headerNamesCompareWithoutCaseOnlyForLetters() {
        #expect(HTTPResponse.sameName("Content-Type", "content-TYPE"))
        #expect(HTTPResponse.sameName("", ""))
        #expect(!HTTPResponse.sameName("X-A", "X-B") && !HTTPResponse.sameName("X-A", "X-AB"))
        // `[` and `{` differ only in the bit that makes letters lower case: not letters, not equal.
        #expect(!HTTPResponse.sameName("a[", "a{") && !HTTPResponse.sameName("a@", "a`"))
        #expect(HTTPResponse.sameName("é-Ü", "é-Ü") && !HTTPResponse.sameName("é", "É"))
        var response = HTTPResponse(status: 200, headers: [("Retry-After", "1"), ("X-Other", "x")])
        response.setHeader("retry-after", "5")
        #expect(response.headers.map(\.name) == ["X-Other", "retry-after"] && response.header("RETRY-AFTER") == "5")
    }
}
