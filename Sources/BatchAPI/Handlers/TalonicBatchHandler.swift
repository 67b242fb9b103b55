import BatchModel
import BatchStore

/// `GET /compat/talonic/v1/batches/{id}` (spec 004): under /compat because its
/// path clashes with Wickson's. The document is the whole body.
public enum TalonicBatchHandler {
    public static func handle(_ context: RequestContext) throws(APIError) -> HTTPResponse {
        let caller = try context.caller
        let id = context.parameter("batch_id")
        guard ResourceID.problem(with: id) == nil else { throw APIError(.notFound, "No batch with this ID exists for your organization") }
        let document = try context.withStore("get_batch") { connection throws(StoreError) -> JSONValue? in
            guard let row = try BatchRecords(connection).find(id: id, tenantID: caller.tenant.id) else { return nil }
            let items = row.state == .completed ? try ItemRecords(connection).page(batchID: id, limit: TalonicBatchDocument.itemLimit) : []
            return TalonicBatchDocument.render(row, items: items, selfURL: context.request.path)
        }
        guard let document else { throw APIError(.notFound, "No batch with this ID exists for your organization") }
        return .json(200, document)
    }
}
