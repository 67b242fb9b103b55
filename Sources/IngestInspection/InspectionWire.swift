import BatchCodecs
public import BatchModel

/// What batchd and an inspection helper say over the helper's pipes. Every
/// message is a frame: a 4-byte big-endian length, then a JSON document; a
/// request's document is followed by the item's inline content
/// (`content_bytes` raw bytes). Replies are `ItemOutcome`s as JSON.
public enum InspectionWire {
    /// The largest reply batchd reads: results are small documents.
    public static let maxReplyBytes = 1 << 20
    /// The largest request header a helper reads (names, limits: far below this).
    public static let maxHeaderBytes = 1 << 20

    public struct Problem: Error, Equatable, Sendable, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    // MARK: Requests

    /// The header of a request, and the number of content bytes that follow it.
    public static func requestHeader(_ request: IngestWork.Request, cpuSeconds: Int) -> [UInt8] {
        var header: JSONObject = [
            "display_name": .string(request.displayName), "cpu_seconds": .integer(cpuSeconds),
            "content_bytes": .integer(request.content?.count ?? -1),
            "limits": [
                "document_bytes": .integer(request.limits.documentBytes), "image_bytes": .integer(request.limits.imageBytes),
                "audio_bytes": .integer(request.limits.audioBytes), "video_bytes": .integer(request.limits.videoBytes),
                "inflated_bytes": .integer(request.limits.inflatedBytes), "inflate_ratio": .integer(request.limits.inflateRatio),
                "zip_entries": .integer(request.limits.zipEntries),
            ],
        ]
        if let path = request.filePath { header["file_path"] = .string(path) }
        if let root = request.ingestRoot { header["ingest_root"] = .string(root) }
        if let filename = request.filename { header["filename"] = .string(filename) }
        return frame(JSONWriter.bytes(.object(header)))
    }

    /// A request header's fields: everything but the content, and how many content
    /// bytes follow (nil: the item has a file instead).
    public static func parseRequestHeader(_ bytes: [UInt8]) throws(Problem) -> (request: IngestWork.Request, contentBytes: Int?, cpuSeconds: Int) {
        guard case .object(let header)? = try? JSONParser.parse(bytes), let name = header["display_name"]?.stringValue,
            let count = header["content_bytes"]?.intValue, let cpu = header["cpu_seconds"]?.intValue, case .object(let l)? = header["limits"]
        else { throw Problem("request header is not what batchd sends") }
        func limit(_ key: String) throws(Problem) -> Int {
            guard let value = l[key]?.intValue, value >= 0 else { throw Problem("request header lacks limits.\(key)") }
            return Int(value)
        }
        var limits = MediaLimits(
            documentBytes: try limit("document_bytes"), imageBytes: try limit("image_bytes"), audioBytes: try limit("audio_bytes"),
            videoBytes: try limit("video_bytes"))
        limits.inflatedBytes = try limit("inflated_bytes")
        limits.inflateRatio = try limit("inflate_ratio")
        limits.zipEntries = try limit("zip_entries")
        let request = IngestWork.Request(
            content: nil, filePath: header["file_path"]?.stringValue, filename: header["filename"]?.stringValue, displayName: name, limits: limits,
            ingestRoot: header["ingest_root"]?.stringValue)
        return (request, count >= 0 ? Int(count) : nil, Int(cpu))
    }

    // MARK: Replies

    public static func reply(_ outcome: ItemOutcome) -> [UInt8] {
        let document: JSONValue
        switch outcome {
        case .succeeded(let result, let mediaType, _, let media):
            var object: JSONObject = ["outcome": "succeeded", "result": result ?? .null, "media_type": .optional(mediaType)]
            if let media {
                object["media"] = [
                    "media_type": .string(media.mediaType), "mime": .string(media.mime), "size_bytes": .int(media.sizeBytes),
                    "sha256": .string(media.sha256), "metadata": .object(media.metadata),
                ]
            }
            document = .object(object)
        case .failed(let type, let message, let details):
            document = ["outcome": "failed", "error_type": .string(type), "message": .string(message), "details": details ?? .null]
        case .crashed(let type, let message):
            document = ["outcome": "crashed", "error_type": .string(type), "message": .string(message)]
        }
        return frame(JSONWriter.bytes(document))
    }

    public static func parseReply(_ bytes: [UInt8]) throws(Problem) -> ItemOutcome {
        guard case .object(let reply)? = try? JSONParser.parse(bytes), let outcome = reply["outcome"]?.stringValue else {
            throw Problem("reply is not JSON")
        }
        switch outcome {
        case "succeeded":
            var media: NewMedia?
            if let m = reply["media"], !m.isNull {
                guard let type = m["media_type"]?.stringValue, let mime = m["mime"]?.stringValue, let size = m["size_bytes"]?.intValue,
                    let sha = m["sha256"]?.stringValue, case .object(let metadata)? = m["metadata"]
                else { throw Problem("reply's media record is incomplete") }
                media = NewMedia(mediaType: type, mime: mime, sizeBytes: size, sha256: sha, metadata: metadata)
            }
            let result = nonNull(reply["result"])
            return .succeeded(result: result, mediaType: reply["media_type"]?.stringValue, usage: .none, media: media)
        case "failed", "crashed":
            guard let type = reply["error_type"]?.stringValue, let message = reply["message"]?.stringValue else {
                throw Problem("reply's failure is incomplete")
            }
            if outcome == "crashed" { return .crashed(errorType: type, message: message) }
            let details = nonNull(reply["details"])
            return .failed(errorType: type, message: message, details: details)
        default:
            throw Problem("reply has an unknown outcome")
        }
    }

    /// A value, with JSON null read as absent.
    static func nonNull(_ value: JSONValue?) -> JSONValue? {
        if let value, !value.isNull { return value }
        return nil
    }

    // MARK: Frames

    public static func frame(_ body: [UInt8]) -> [UInt8] {
        let n = UInt32(body.count)
        return [UInt8(n >> 24), UInt8((n >> 16) & 0xFF), UInt8((n >> 8) & 0xFF), UInt8(n & 0xFF)] + body
    }

    public static func frameLength(_ prefix: [UInt8]) -> Int {
        prefix.prefix(4).reduce(0) { $0 << 8 | Int($1) }
    }
}
