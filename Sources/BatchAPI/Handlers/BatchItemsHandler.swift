import BatchCodecs
import BatchDocuments
import BatchModel
import BatchStore

/// `POST /v1/batches/{batch_id}/items`: appends items to an accumulating batch
/// (409 in any other state). Answers with the batch's summary.
///
/// One append adds at most `maxItems` items: it is written in one transaction,
/// and that bound keeps it as short as one chunk of a large create, so no append
/// holds the single writer past its target. More items take more requests.
public enum BatchItemsHandler {
    public static let maxItems = BatchRecords.createChunkItems

    public static func handle(_ context: RequestContext) throws(APIError) -> HTTPResponse {
        let caller = try context.caller
        let id = try BatchStatusHandler.validatedID(context)
        try BatchCreateHandler.requireJSON(context.request)
        let limits = context.resources.service.batchLimits
        let (object, deferred) = try context.jsonObjectBody(deferringArrayAt: "items")
        if let deferred, deferred.count > maxItems {
            throw APIError(
                .validationError, "An append adds at most \(maxItems) items; this one has \(deferred.count). Send the rest in further requests",
                details: ["field": "items", "limit": .integer(maxItems), "count": .integer(deferred.count)])
        }
        let items = try BatchRequestParser(limits: limits).parseAppend(object, deferredItems: deferred)
        try context.requireTimeToCommit("append_items")
        let batch = try context.withStore("append_items", details: ["batch_id": .string(id)]) { connection throws(StoreError) -> BatchRow in
            try BatchRecords(connection).append(items, batchID: id, tenantID: caller.tenant.id, maxItems: limits.maxItems)
        }
        context.invalidateCachedDocuments(BatchIdentity(tenantID: caller.tenant.id, batchID: id), version: batch.version)
        return NativeEnvelope.response(
            message: "\(items.count) item(s) appended", data: BatchSummaryDocument.render(batch), requestID: context.request.requestID)
    }
}
