import BatchCache
import BatchCodecs
import BatchModel
import BatchStore
import Logging

/// `DELETE /v1/batches/{batch_id}`: removes a finished batch with its items and
/// results; 409 while it is open, queued, running or paused.
public enum BatchDeleteHandler {
    public static func handle(_ context: RequestContext) throws(APIError) -> HTTPResponse {
        let caller = try context.caller
        let id = try BatchStatusHandler.validatedID(context)
        let blobs = try context.withStore("delete_batch", details: ["batch_id": .string(id)]) { connection throws(StoreError) in
            try BatchRecords(connection).delete(id: id, tenantID: caller.tenant.id)
        }
        // A deleted batch's documents may never be written again, whatever a slow reader holds.
        context.invalidateCachedDocuments(BatchIdentity(tenantID: caller.tenant.id, batchID: id), version: StatusCache.goneVersion)
        // After the commit: a crash in between leaves an orphaned file, never a batch without its files.
        BlobWriter.remove(blobs)
        context.resources.service.renderedResults?.removeFiles(ofBatch: id)
        context.logger.info("batch deleted", metadata: ["batch_id": "\(id)"])
        return NativeEnvelope.response(
            message: "Batch deleted successfully", data: ["batch_id": .string(id), "deleted": true], requestID: context.request.requestID)
    }
}
