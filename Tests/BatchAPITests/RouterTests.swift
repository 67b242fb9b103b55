import Testing

@testable import BatchAPI

@Suite struct RouterTests {
    static let ok: RouteHandler = { _ in HTTPResponse(status: 200) }
    let router = Router([
        Route("GET", "/v1/batches/{batch_id}", RouterTests.ok),
        Route("PUT", "/v1/batches/{batch_id}/state", RouterTests.ok),
        Route("GET", "/healthz", access: .open, RouterTests.ok),
    ])

    @Test func capturesPathParameters() {
        guard case .found(let route, let parameters) = router.match(method: "GET", path: "/v1/batches/batch-abc") else {
            Issue.record("no match")
            return
        }
        #expect(route.pattern.description == "/v1/batches/{batch_id}")
        #expect(parameters == ["batch_id": "batch-abc"])
    }

    @Test func headIsAnsweredLikeGet() {
        guard case .found = router.match(method: "HEAD", path: "/healthz") else {
            Issue.record("HEAD did not match GET")
            return
        }
    }

    @Test func wrongMethodListsTheAllowedOnes() {
        guard case .methodNotAllowed(let allowed) = router.match(method: "DELETE", path: "/v1/batches/x") else {
            Issue.record("expected 405")
            return
        }
        #expect(allowed == ["GET", "HEAD"])
    }

    @Test func pathsSplitOnTheirBytes() {
        #expect(Router.segments(of: "/v1/batches/x") == ["v1", "batches", "x"])
        #expect(Router.segments(of: "/ü/é\u{301}/✓") == ["ü", "é\u{301}", "✓"])
        for path in ["", "/", "//", "/a//b", "/a/", "a/b", "/a/b/"] { #expect(Router.segments(of: path) == nil, "\(path)") }
        // A capture keeps what it matched, whatever its characters.
        #expect(router.match(method: "GET", path: "/v1/batches/é\u{301}x").parameters == ["batch_id": "é\u{301}x"])
    }

    @Test(arguments: [
        "/v1/batches", "/v1/batches/", "/v1/batches/a/b/c", "//healthz", "/healthz/", "healthz", "/v2/batches/x", "/", "", "/a/b/c/d/e/f/g/h/i",
    ])
    func unknownPathsAreNotFound(_ path: String) {
        guard case .notFound = router.match(method: "GET", path: path) else {
            Issue.record("\(path) matched")
            return
        }
    }
}

@Suite struct QueryParametersTests {
    @Test func decodesPercentAndPlus() {
        let query = QueryParameters(parsing: "a=1&b=x%20y+z&c&a=2&d=%E2%9C%93&bad=%zz")
        #expect(query["a"] == "1")
        #expect(query.values("a") == ["1", "2"])
        #expect(query["b"] == "x y z")
        #expect(query["c"] == "")
        #expect(query["d"] == "✓")
        #expect(query["bad"] == "%zz")
        #expect(query["missing"] == nil)
    }

    /// Unknown, repeated and NUL-carrying parameters are refused by name.
    @Test func refusesUnknownRepeatedAndNULParameters() throws {
        let allowed: Set = ["collection", "page"]
        try QueryParameters(parsing: "collection=a&page=2").requireOnly(allowed)
        for (query, name, reason) in [
            ("other=1", "other", "unknown parameter; allowed: collection, page"), ("page=1&page=2", "page", "given more than once"),
            ("page=1&collection=a%00b", "collection", "contains a NUL byte"),
        ] {
            let error = #expect(throws: APIError.self) { try QueryParameters(parsing: query).requireOnly(allowed) }
            #expect(
                error?.code == .validationError && error?.details["parameter"] == .string(name) && error?.details["error"] == .string(reason),
                "\(query)")
        }
    }
}

@Suite struct RequestIDTests {
    @Test func keepsNginxIdsAndReplacesUnsafeOnes() {
        #expect(RequestID.sanitized("0123456789abcdef0123456789abcdef") == "0123456789abcdef0123456789abcdef")
        let replaced = RequestID.sanitized("evil\r\nSet-Cookie: x")
        #expect(replaced.count == 32 && replaced.allSatisfy(\.isHexDigit))
        #expect(RequestID.sanitized(nil).count == 32)
        #expect(RequestID.make() != RequestID.make())
    }
}
