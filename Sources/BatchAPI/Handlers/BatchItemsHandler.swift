import BatchModel
import BatchStore

/// `POST /v1/batches/{batch_id}/items`: appends items to an accumulating batch
/// (409 in any other state). Answers with the batch's summary.
public enum BatchItemsHandler {
    public static func handle(_ context: RequestContext) throws(APIError) -> HTTPResponse {
        let caller = try context.caller
        let id = try BatchStatusHandler.validatedID(context)
        try BatchCreateHandler.requireJSON(context.request)
        let limits = context.resources.service.batchLimits
        let (object, deferred) = try context.jsonObjectBody(deferringArrayAt: "items")
        let items = try BatchRequestParser(limits: limits).parseAppend(object, deferredItems: deferred)
        try context.requireTimeToCommit("append_items")
        let batch = try context.withStore("append_items", details: ["batch_id": .string(id)]) { connection throws(StoreError) -> BatchRow in
            try BatchRecords(connection).append(items, batchID: id, tenantID: caller.tenant.id, maxItems: limits.maxItems)
        }
        context.invalidateCachedDocuments(batchID: id, version: batch.version)
        return NativeEnvelope.response(
            message: "\(items.count) item(s) appended", data: BatchSummaryDocument.render(batch), requestID: context.request.requestID)
    }
}
