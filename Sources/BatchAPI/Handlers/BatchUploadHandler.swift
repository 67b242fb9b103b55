import BatchCodecs
import BatchDocuments
import BatchModel
import BatchStore

/// `POST /v1/batches` with Wickson's `multipart/form-data` form: repeated `file`
/// parts (one item each), `collection_id` (default `default`), `batch_name`,
/// `batch_options` (a JSON string: `processor` and the configuration fields) and
/// `force_overwrite`. Files stream into the blob store as they arrive: memory
/// stays bounded whatever their size. Limits: `maxUploadFiles` files and
/// `maxUploadBytes` bytes a batch (Wickson: 25 and 100 MB), 413 beyond.
enum BatchUploadHandler {
    static let fields: Set<String> = ["file", "collection_id", "batch_name", "batch_options", "force_overwrite"]
    static let maxFieldBytes = 64 << 10

    static func handle(_ context: RequestContext, boundary: String) throws(APIError) -> HTTPResponse {
        let caller = try context.caller
        let limits = context.resources.service.batchLimits
        // The query's options are checked before a byte of the body is stored.
        let fromQuery = try BatchRequestParser(limits: limits).queryOptions(context.request.query)
        guard let directory = context.resources.service.blobDirectory else {
            throw APIError(.unsupportedMediaType, "Uploads are not enabled on this server", details: ["supported": ["application/json"]])
        }
        let body = context.request.bodyStream ?? InMemoryBodyStream(context.request.body)
        // Hashing costs time per byte: only a request that may be replayed needs it.
        let hashing = context.request.header("idempotency-key") != nil ? HashingBodyStream(body) : nil
        let reader = MultipartReader(boundary: boundary, source: hashing ?? body)
        var written: [String] = []
        do throws(APIError) {
            var items: [NewItem] = []
            var text: [String: String] = [:]
            var total = 0
            while let part = try reader.nextPart() {
                guard fields.contains(part.name) else {
                    throw APIError.invalidField(part.name, "unknown form field; allowed: \(fields.sorted().joined(separator: ", "))")
                }
                if part.name == "file" {
                    guard items.count < limits.maxUploadFiles else {
                        throw APIError(
                            .payloadTooLarge, "A batch holds at most \(limits.maxUploadFiles) files",
                            details: ["limit_files": .integer(limits.maxUploadFiles)])
                    }
                    let blob = try BlobWriter(directory: directory)
                    written.append(blob.path)
                    let filename = part.filename ?? "file\(items.count + 1)"
                    try NameRules.check(filename, field: "file", characters: 1...NameRules.maxFilenameCharacters)
                    var head: [UInt8] = []
                    var format: MediaFormat?
                    try reader.readBody { bytes throws(APIError) in
                        total += bytes.count
                        guard total <= limits.maxUploadBytes else {
                            throw APIError(
                                .payloadTooLarge, "A batch's files may total at most \(limits.maxUploadBytes) bytes",
                                details: ["limit_bytes": .integer(limits.maxUploadBytes)])
                        }
                        try blob.write(bytes)
                        // The type's own limit, known from the first bytes, stops an oversized file early.
                        if head.count < 4096 {
                            head += bytes.prefix(4096 - head.count)
                            if head.count == 4096 { format = MediaInspector.detect(head).flatMap { $0 == .text ? nil : $0 } }
                        }
                        if let format { try checkSize(format, size: blob.size, limit: limits.media.maxBytes(for: format), file: filename) }
                    }
                    try blob.finish()
                    if let format = MediaInspector.detect(head, prefixOf: blob.size) {
                        try checkSize(format, size: blob.size, limit: limits.media.maxBytes(for: format), file: filename)
                    }
                    var item = NewItem(filePath: blob.path, filename: filename, row: items.count + 1)
                    item.ownsFile = true
                    item.sizeOverride = blob.size
                    items.append(item)
                } else {
                    guard text[part.name] == nil else { throw APIError.invalidField(part.name, "given more than once") }
                    var bytes: [UInt8] = []
                    try reader.readBody { piece throws(APIError) in
                        bytes.append(contentsOf: piece)
                        if bytes.count > maxFieldBytes { throw APIError.invalidField(part.name, "may be at most \(maxFieldBytes) bytes") }
                    }
                    guard let value = String(validating: bytes, as: UTF8.self) else { throw APIError.invalidField(part.name, "must be UTF-8 text") }
                    text[part.name] = value
                }
            }
            guard !items.isEmpty else { throw APIError.invalidField("file", "at least one file part is required") }
            let batch = try newBatch(items: items, text: text, query: fromQuery, limits: limits)
            let claim = try BatchCreateHandler.idempotencyClaim(context.request) { hashing?.hex ?? "" }
            try context.requireTimeToCommit("create_batch")
            let outcome = try context.withStore("create_batch") { connection throws(StoreError) in
                try BatchRecords(connection).create(batch, tenantID: caller.tenant.id, idempotency: claim) { row in
                    JSONWriter.bytes(BatchSummaryDocument.render(row))
                }
            }
            if case .replayed = outcome { BlobWriter.remove(written) }
            return BatchCreateHandler.response(outcome, context: context)
        } catch {
            BlobWriter.remove(written)
            throw error
        }
    }

    /// The per-file limit of the file's media type (`BatchLimits.media`).
    static func checkSize(_ format: MediaFormat, size: Int, limit: Int, file: String) throws(APIError) {
        guard size > limit else { return }
        throw APIError(
            .payloadTooLarge, "\(file): \(format.mediaType) files (\(format.fileExtension)) may be at most \(limit) bytes",
            details: [
                "file": .string(file), "format": .string(format.fileExtension), "media_type": .string(format.mediaType),
                "limit_bytes": .integer(limit),
            ])
    }

    /// The batch of an upload: the form's fields, with the query's options (see
    /// `RowBodyParser.filling`) where the form says nothing.
    static func newBatch(items: [NewItem], text: [String: String], query: JSONObject = JSONObject(), limits: BatchLimits) throws(APIError) -> NewBatch
    {
        let parser = BatchRequestParser(limits: limits)
        var processor = query["processor"]?.stringValue ?? "ingest"
        var queried: BodyFields?
        if case .object(let options)? = query["configuration"] { queried = BodyFields(options, path: "configuration") }
        var configuration = try parser.parseConfiguration(queried)
        var configurationJSON = query["configuration"]
        if let options = text["batch_options"], !options.isEmpty {
            let parsed: JSONValue
            do {
                parsed = try JSONParser.parse(options)
            } catch {
                throw APIError.notJSON(error, what: "batch_options")
            }
            guard case .object(var object) = parsed else { throw APIError.invalidField("batch_options", "must be a JSON object") }
            if let value = object["processor"] {
                guard let name = value.stringValue else { throw APIError.invalidField("batch_options.processor", "must be a string") }
                processor = name
                object["processor"] = nil
            }
            if case .object(let queried)? = query["configuration"] {
                for (name, option) in queried.pairs where object[name] == nil { object[name] = option }
            }
            configuration = try parser.parseConfiguration(BodyFields(object, path: "batch_options"))
            configurationJSON = .object(object)
        }
        let forceOverwrite: Bool
        switch (text["force_overwrite"] ?? query["force_overwrite"].map { $0 == .bool(true) ? "true" : "false" })?.lowercased() {
        case nil, "", "false", "0": forceOverwrite = false
        case "true", "1": forceOverwrite = true
        default: throw APIError.invalidField("force_overwrite", "must be true or false")
        }
        let collection = text["collection_id"] ?? query["collection"]?.stringValue ?? "default"
        try NameRules.check(collection, field: "collection_id", characters: 1...100)
        let name = text["batch_name"] ?? query["batch_name"]?.stringValue ?? ""
        try NameRules.check(name, field: "batch_name", characters: 0...200)
        var batch = NewBatch(
            name: name, collection: collection, processor: processor, configuration: configuration, items: NewItems(items),
            submit: query["submit"] != .bool(false), forceOverwrite: forceOverwrite)
        batch.inputFormat = "files"
        batch.configurationJSON = configurationJSON
        if !limits.processors.contains(processor) {
            batch.batchError = "Unknown processor '\(processor)'; available: \(limits.processors.sorted().joined(separator: ", "))"
        }
        return batch
    }
}

/// Passes a body through while hashing it, for `Idempotency-Key` on uploads.
final class HashingBodyStream: RequestBodyStream, @unchecked Sendable {
    private let inner: any RequestBodyStream
    private var hasher = SHA256()

    init(_ inner: any RequestBodyStream) { self.inner = inner }

    var remaining: Int { inner.remaining }

    func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let n = inner.read(into: buffer)
        if n > 0 { hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n])) }
        return n
    }

    var hex: String {
        var copy = hasher
        return Hex.encode(copy.finalize())
    }
}
