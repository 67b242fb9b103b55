import Testing

@testable import BatchAPI

/// The contract compiled into the binary names exactly the routes batchd serves:
/// a route without a description, or a description without a route, fails here
/// before any server starts (the live check is IntegrationTests' ContractTests).
@Suite struct OpenAPIContractTests {
    /// "METHOD /path" for every operation in the embedded openapi.yaml, read from its
    /// fixed layout (paths at two spaces of indent, methods at four).
    static func documentedOperations() -> Set<String> {
        let text = String(decoding: PackageResources.openapi_yaml, as: UTF8.self)
        var operations: Set<String> = []
        var inPaths = false
        var path: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "paths:" {
                inPaths = true
                continue
            }
            if inPaths, !line.isEmpty, !line.hasPrefix(" ") { break }
            if line.hasPrefix("  /"), line.hasSuffix(":"), !line.hasPrefix("   ") {
                path = String(line.dropFirst(2).dropLast())
            } else if let path, line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":") {
                let word = line.filter { $0 != " " && $0 != ":" }
                if ["get", "put", "post", "patch", "delete"].contains(word) { operations.insert(word.uppercased() + " " + path) }
            }
        }
        return operations
    }

    @Test func everyRouteIsDocumentedAndNothingElse() {
        let routes = Set(Routes.all.routes.map { $0.method + " " + $0.pattern.description })
        let documented = Self.documentedOperations()
        #expect(documented.count > 20)
        #expect(routes.subtracting(documented).sorted() == [], "routes missing from openapi.yaml")
        #expect(documented.subtracting(routes).sorted() == [], "openapi.yaml describes routes that do not exist")
    }

    @Test func servedAsYAML() throws {
        let fixture = try ApplicationFixture()
        let (response, _) = fixture.send("GET", "/v1/openapi.yaml")
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == "application/yaml; charset=utf-8")
        #expect(response.body.starts(with: Array("openapi: 3.1.0\n".utf8)))
    }
}
