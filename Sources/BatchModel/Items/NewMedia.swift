public import BatchCodecs

/// A media record an `ingest` item produces: what the file is and what was learned
/// from it. The store gives it its `vec-…` id, unless the collection already holds
/// the same content (and the batch does not `force_overwrite`).
public struct NewMedia: Sendable, Equatable {
    /// `document`, `image`, `audio` or `video`.
    public var mediaType: String
    public var mime: String
    public var sizeBytes: Int64
    public var sha256: String
    /// Format-specific facts: pages, width, height, duration_seconds, words, …
    public var metadata: JSONObject

    public init(mediaType: String, mime: String, sizeBytes: Int64, sha256: String, metadata: JSONObject) {
        self.mediaType = mediaType
        self.mime = mime
        self.sizeBytes = sizeBytes
        self.sha256 = sha256
        self.metadata = metadata
    }
}
