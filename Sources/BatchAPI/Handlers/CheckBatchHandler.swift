import BatchCache
import BatchCodecs
import BatchDocuments
import BatchModel
import BatchStore

/// `GET /v1/batch/{id}` and `GET /compat/check/v1/batch/{id}` (spec 002). The
/// document is the whole body (no envelope), cached like the native status;
/// errors are Check's, and Check answers any unknown id, well-formed or not, with its 404.
public enum CheckBatchHandler {
    static let notFound = APIError(.notFound, "Batch not found")

    public static let view = CachedStatusView<Void>(
        kind: .check, dialect: .check, readOptions: CachedStatusView.noOptions,
        malformedID: { _, _ in notFound }, notFound: { _ in notFound },
        build: { _, row, _, _ throws(StoreError) in JSONWriter.bytes(CheckBatchDocument.render(row)) },
        answer: CachedStatusView.bareDocument)
}
