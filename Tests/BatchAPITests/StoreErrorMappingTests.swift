import BatchStore
import Testing

@testable import BatchAPI

/// The one place a store failure becomes a wire answer (`APIError(_:operation:)`):
/// the client's mistakes are 4xx, a database that is away or full is a 503 to
/// retry (naming the backend), anything else a 500.
@Suite struct StoreErrorMappingTests {
    @Test func everyStoreFailureHasItsAnswer() {
        let cases: [(StoreError, ErrorCode, String?)] = [
            (.notFound("batch b"), .notFound, nil),
            (.conflict("taken"), .conflict, nil),
            (.postgres(sqlState: "08006", message: "server closed the connection"), .serviceUnavailable, "postgres"),
            (.postgres(sqlState: "57P01", message: "terminating connection due to administrator command"), .serviceUnavailable, "postgres"),
            (.postgres(sqlState: "57P03", message: "the database system is starting up"), .serviceUnavailable, "postgres"),
            (.postgres(sqlState: "53100", message: "could not extend file"), .serviceUnavailable, "postgres"),
            (.postgres(sqlState: StoreError.nulInTextState, message: "a text value contains a NUL byte"), .validationError, nil),
            (.postgres(sqlState: "42702", message: "column reference is ambiguous"), .processingError, nil),
            (.sqlite(code: 13, message: "database or disk is full"), .serviceUnavailable, "sqlite"),
            (.sqlite(code: 1, message: "SQL logic error"), .processingError, nil),
        ]
        for (error, code, dependency) in cases {
            let answer = APIError(error, operation: "create_batch")
            #expect(answer.code == code, "\(error)")
            if let dependency {
                #expect(answer.details["dependency"] == .string(dependency), "\(error)")
                #expect(answer.headers.contains { $0.name == "Retry-After" }, "\(error)")
            }
        }
    }
}
