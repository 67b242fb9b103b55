import BatchCodecs
import BatchDocuments
import BatchModel
import BatchStore
import Logging

/// `POST /v1/batches`: creates a batch from a JSON body (`shared/API.md`
/// "Creating a batch"). Answers 201 with the batch's summary and a `Location`.
/// With `Idempotency-Key`, a retry with the same body answers the first response
/// again and creates nothing; the same key with another body is a 409.
public enum BatchCreateHandler {
    public static func handle(_ context: RequestContext) throws(APIError) -> HTTPResponse {
        let caller = try context.caller
        if let boundary = MultipartReader.boundary(of: context.request.contentType) {
            return try BatchUploadHandler.handle(context, boundary: boundary)
        }
        let parser = BatchRequestParser(limits: context.resources.service.batchLimits)
        let batch: NewBatch
        if let rows = RowBodyParser.format(of: context.request.contentType) {
            let body = try context.wholeBody(limit: context.resources.service.maxInMemoryBodyBytes)
            var parsed = try parser.parseCreate(
                try RowBodyParser.request(body, format: rows, query: context.request.query, maxContextKeys: parser.limits.maxContextKeys))
            parsed.inputFormat = rows == .csv ? "csv" : "json"
            batch = parsed
        } else {
            try requireJSON(context.request)
            let (object, items) = try context.jsonObjectBody(deferringArrayAt: "items")
            batch = try parser.parseCreate(RowBodyParser.filling(object, from: try parser.queryOptions(context.request.query)), deferredItems: items)
        }
        let claim = try idempotencyClaim(context.request) { () throws(APIError) in
            SHA256.hexHash(try context.wholeBody(limit: context.resources.service.maxInMemoryBodyBytes))
        }
        try context.requireTimeToCommit("create_batch")
        let outcome = try context.withStore("create_batch") { connection throws(StoreError) in
            try BatchRecords(connection).create(batch, tenantID: caller.tenant.id, idempotency: claim) { row in
                JSONWriter.bytes(BatchSummaryDocument.render(row))
            }
        }
        return response(outcome, context: context)
    }

    /// 201 with the batch's summary, or the first response again for a replayed key.
    static func response(_ outcome: CreationOutcome, context: RequestContext) -> HTTPResponse {
        let data: [UInt8]
        var headers: [(name: String, value: String)] = []
        switch outcome {
        case .created(let row, let response):
            data = response
            context.logger.info(
                "batch created", metadata: ["batch_id": "\(row.id)", "items": "\(row.totalItems)", "status": "\(row.state.rawValue)"])
        case .replayed(let response):
            data = response
            headers.append(("Idempotent-Replayed", "true"))
        }
        let document = (try? JSONParser.parse(data)) ?? .null
        if let id = document["batch_id"]?.stringValue { headers.append(("Location", "/v1/batches/\(id)")) }
        return NativeEnvelope.response(
            201, message: "Batch created successfully", data: document, requestID: context.request.requestID, headers: headers)
    }

    static func requireJSON(_ request: HTTPRequest) throws(APIError) {
        let type = request.contentType.mediaType
        guard type == "application/json" else {
            throw APIError(
                .unsupportedMediaType, "Content-Type must be application/json, multipart/form-data, text/csv or application/x-ndjson",
                details: ["content_type": .string(type), "supported": .array(ContentType.createTypes.map(JSONValue.string))])
        }
    }

    /// The request's `Idempotency-Key` with a hash of the method, path and body.
    /// Without the header there is nothing to claim, and the body is not hashed.
    static func idempotencyClaim(_ request: HTTPRequest, bodyHash: () throws(APIError) -> String) throws(APIError) -> IdempotencyClaim? {
        guard let key = request.header("idempotency-key") else { return nil }
        guard !key.isEmpty, key.utf8.count <= 255, key.unicodeScalars.allSatisfy({ $0.value >= 0x21 && $0.value < 0x7F }) else {
            throw APIError(.validationError, "Idempotency-Key must be 1 to 255 visible ASCII characters", details: ["header": "Idempotency-Key"])
        }
        return IdempotencyClaim(key: key, requestHash: SHA256.hexHash(Array("\(request.method) \(request.path)\n\(try bodyHash())".utf8)))
    }
}
