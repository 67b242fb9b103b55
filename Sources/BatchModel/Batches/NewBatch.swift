public import BatchCodecs

/// A batch as a client asked for it, validated and ready to store in one
/// transaction. Built by the API layer from any of the three request bodies.
public struct NewBatch: Sendable {
    public var name: String
    public var collection: String
    public var processor: String
    public var configuration: BatchConfiguration
    /// The batch-level `context` object, as JSON.
    public var context: JSONValue?
    /// Items that passed row validation, in request order.
    public var items: NewItems
    /// Rows that failed validation (`[{row, error}]`, rows from 1). When any exist
    /// the batch is stored `failed` and nothing runs.
    public var validationErrors: [RowError]
    /// Rows counted in the request, valid or not.
    public var rowCount: Int
    /// false: the batch stays `accumulating` for `POST …/items` until `submit`.
    public var submit: Bool
    public var forceOverwrite: Bool
    /// Why the batch as a whole cannot run (an unknown processor), if so.
    public var batchError: String?
    /// How the request carried the items: `json`, `csv` or `files` (Check's `inputFormat`).
    public var inputFormat = "json"
    /// The configuration object as the client sent it (Check's `methodsConfig`).
    public var configurationJSON: JSONValue?

    public init(
        name: String, collection: String = "default", processor: String = "ingest", configuration: BatchConfiguration = .init(),
        context: JSONValue? = nil, items: NewItems, validationErrors: [RowError] = [], rowCount: Int? = nil, submit: Bool = true,
        forceOverwrite: Bool = false
    ) {
        self.name = name
        self.collection = collection
        self.processor = processor
        self.configuration = configuration
        self.context = context
        self.items = items
        self.validationErrors = validationErrors
        self.rowCount = rowCount ?? items.count + validationErrors.count
        self.submit = submit
        self.forceOverwrite = forceOverwrite
    }

    /// The state the batch is stored in.
    public var initialState: BatchState {
        if !validationErrors.isEmpty || batchError != nil { return .failed }
        return submit ? .queued : .accumulating
    }

    /// Check's `errorMessage` for a batch that failed validation.
    public var errorMessage: String? {
        batchError ?? (validationErrors.isEmpty ? nil : "\(validationErrors.count) validation error(s)")
    }
}

/// One item of a new batch: inline content (text or decoded base64) or a file.
public struct NewItem: Sendable, Equatable {
    public var content: [UInt8]?
    public var filePath: String?
    public var filename: String?
    public var customID: String?
    public var context: JSONValue?
    /// 1-based row in the request, for error messages.
    public var row: Int
    /// The file is an upload in the blob store that the item owns (deleted with it).
    public var ownsFile = false
    /// The size of `filePath`'s file when known at creation.
    public var sizeOverride: Int?

    public init(
        content: [UInt8]? = nil, filePath: String? = nil, filename: String? = nil, customID: String? = nil, context: JSONValue? = nil, row: Int
    ) {
        self.content = content
        self.filePath = filePath
        self.filename = filename
        self.customID = customID
        self.context = context
        self.row = row
    }

    public var sizeBytes: Int { sizeOverride ?? content?.count ?? 0 }
}

/// A row that failed validation.
public struct RowError: Sendable, Equatable {
    public var row: Int
    public var error: String

    public init(row: Int, error: String) {
        self.row = row
        self.error = error
    }

    public var json: JSONValue { ["row": .integer(row), "error": .string(error)] }
}
