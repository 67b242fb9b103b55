import BatchCache
import BatchCodecs
import BatchDocuments
import BatchModel
import BatchStore

/// `GET /compat/talonic/v1/batches/{id}` (spec 004): under /compat because its
/// path clashes with Wickson's. The document is the whole body, cached like the
/// native status; the item breakdown is read once the batch is completed.
public enum TalonicBatchHandler {
    static let notFound = APIError(.notFound, "No batch with this ID exists for your organization")

    public static let view = CachedStatusView<Void>(
        kind: .talonic, dialect: .talonic, readOptions: CachedStatusView.noOptions,
        malformedID: { _, _ in notFound }, notFound: { _ in notFound },
        build: { connection, row, _, context throws(StoreError) in
            let items = row.state == .completed ? try ItemRecords(connection).page(batchID: row.id, limit: TalonicBatchDocument.itemLimit) : []
            return JSONWriter.bytes(TalonicBatchDocument.render(row, items: items, selfURL: context.request.path))
        },
        answer: CachedStatusView.bareDocument)
}
