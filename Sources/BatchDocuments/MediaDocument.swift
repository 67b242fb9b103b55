public import BatchCodecs
import BatchModel
public import BatchStore

/// A media record as `GET /v1/media/{media_id}` and the media listing show it:
/// what ingest found in an item's file, the caller's tenant only.
public enum MediaDocument {
    public static func render(_ media: MediaRow) -> JSONValue {
        [
            "media_id": .string(media.id),
            "collection": .string(media.collection),
            "batch_id": .optional(media.batchID),
            "job_id": .optional(media.itemID),
            "media_type": .string(media.mediaType),
            "mime_type": .string(media.mime),
            "filename": .optional(media.filename),
            "size_bytes": .int(media.sizeBytes),
            "sha256": .string(media.sha256),
            "metadata": (try? JSONParser.parse(media.metadata)) ?? .object(JSONObject()),
            "created_at": .string(media.createdAt.iso8601),
        ]
    }
}
