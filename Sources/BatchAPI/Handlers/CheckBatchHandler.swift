import BatchModel
import BatchStore

/// `GET /v1/batch/{id}` and `GET /compat/check/v1/batch/{id}` (spec 002). The
/// document is the whole body (no envelope); errors are Check's.
public enum CheckBatchHandler {
    public static func handle(_ context: RequestContext) throws(APIError) -> HTTPResponse {
        let caller = try context.caller
        let id = context.parameter("batch_id")
        // Check answers any unknown id, well-formed or not, with its 404.
        guard ResourceID.problem(with: id) == nil else { throw APIError(.notFound, "Batch not found") }
        let row = try context.withStore("get_batch") { connection throws(StoreError) in try BatchRecords(connection).find(id: id, tenantID: caller.tenant.id) }
        guard let row else { throw APIError(.notFound, "Batch not found") }
        return .json(200, CheckBatchDocument.render(row))
    }
}
