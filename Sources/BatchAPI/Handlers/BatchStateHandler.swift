import BatchCodecs
import BatchModel
import BatchStore
import Logging

/// `PUT /v1/batches/{batch_id}/state` (spec 003). No body cancels; otherwise
/// `{"action": "cancel" | "pause" | "resume" | "submit" | "retry_failed"}`.
/// A move the state machine refuses is a 409 with `current_state` and `allowed_actions`.
public enum BatchStateHandler {
    public static func handle(_ context: RequestContext) throws(APIError) -> HTTPResponse {
        let caller = try context.caller
        let id = try BatchStatusHandler.validatedID(context)
        let body = BodyFields(try context.jsonObjectBody(required: false))
        try body.allowOnly(["action"])
        let action: BatchAction
        if let text = try body.string("action") {
            guard let parsed = BatchAction(rawValue: text) else {
                throw .invalidField("action", "must be one of \(BatchAction.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            action = parsed
        } else {
            action = .cancel
        }
        let operation = action.rawValue + "_batch"
        let result = try context.withStore(operation, details: ["batch_id": .string(id)]) { connection throws(StoreError) in
            try BatchRecords(connection).apply(action, batchID: id, tenantID: caller.tenant.id)
        }
        switch result {
        case .failure(let refused):
            throw APIError(
                .conflict, "Cannot \(action.rawValue.replacingOccurrences(of: "_", with: " ")) a batch that is \(refused.current.nativeName)",
                details: [
                    "batch_id": .string(id), "action": .string(action.rawValue), "current_state": .string(refused.current.nativeName),
                    "allowed_actions": .array(refused.allowed.map { .string($0.rawValue) }),
                ])
        case .success(let change):
            context.invalidateCachedDocuments(BatchIdentity(tenantID: change.batch.tenantID, batchID: id), version: change.batch.version)
            context.logger.info(
                "batch state changed", metadata: ["batch_id": "\(id)", "from": "\(change.previous.rawValue)", "to": "\(change.current.rawValue)"])
            return NativeEnvelope.response(
                message: message(for: action),
                data: [
                    "batch_id": .string(id), "previous_state": .string(change.previous.nativeName),
                    "current_state": .string(change.current.nativeName), "timestamp": .string(change.batch.updatedAt.iso8601),
                ],
                requestID: context.request.requestID)
        }
    }

    static func message(for action: BatchAction) -> String {
        switch action {
        case .cancel: return "Batch cancelled successfully"
        case .pause: return "Batch paused successfully"
        case .resume: return "Batch resumed successfully"
        case .submit: return "Batch submitted successfully"
        case .retryFailed: return "Failed items queued again"
        }
    }
}

extension String {
    /// Every `target` character replaced by `replacement` (Foundation-free).
    func replacingOccurrences(of target: Character, with replacement: Character) -> String {
        String(map { $0 == target ? replacement : $0 })
    }
}
