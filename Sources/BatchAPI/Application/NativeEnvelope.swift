public import BatchCodecs
import BatchModel

/// The native success envelope of specs 000, 001 and 003:
/// `{"success": true, "message", "data", "metadata": {"request_id", "api_version", …}}`.
public enum NativeEnvelope {
    public static func document(message: String, data: JSONValue, requestID: String, metadata extra: JSONObject = JSONObject()) -> JSONValue {
        var metadata: JSONObject = ["request_id": .string(requestID), "api_version": .string(ServiceInfo.apiVersion)]
        for (key, value) in extra.pairs { metadata[key] = value }
        return ["success": true, "message": .string(message), "data": data, "metadata": .object(metadata)]
    }

    public static func response(
        _ status: Int = 200, message: String, data: JSONValue, requestID: String, metadata: JSONObject = JSONObject(),
        headers: [(name: String, value: String)] = []
    ) -> HTTPResponse {
        HTTPResponse.json(status, document(message: message, data: data, requestID: requestID, metadata: metadata), headers: headers)
    }

    /// A cacheable envelope without its per-request parts: everything up to and
    /// including `"metadata":{`. `completeCached` adds the rest to each answer
    /// without parsing the stored bytes again.
    public static func cacheablePrefix(message: String, data: JSONValue) -> [UInt8] {
        var bytes = JSONWriter.bytes(["success": true, "message": .string(message), "data": data])
        bytes.removeLast()  // the closing brace
        bytes += Array(#","metadata":{"#.utf8)
        return bytes
    }

    /// A stored prefix with this answer's metadata: request id, API version and cache figures.
    public static func completeCached(_ prefix: [UInt8], requestID: String, ttl: Int, remaining: Int) -> [UInt8] {
        var bytes = started(prefix, requestID: requestID)
        // Piece by piece: an interpolated string of these was two allocations more an answer.
        bytes += #","cache_ttl":"#.utf8
        bytes += String(ttl).utf8
        bytes += #","cache_remaining":"#.utf8
        bytes += String(remaining).utf8
        bytes += "}}".utf8
        return bytes
    }

    /// A stored prefix with this answer's request id and the API version: the bytes
    /// `response` makes of the same message and data, without building them again.
    public static func complete(_ prefix: [UInt8], requestID: String) -> [UInt8] {
        var bytes = started(prefix, requestID: requestID)
        bytes += "}}".utf8
        return bytes
    }

    /// `,"api_version":"…"`, made once.
    private static let apiVersionField = Array(#","api_version":"#.utf8) + JSONWriter.bytes(.string(ServiceInfo.apiVersion))

    /// The prefix, the request id and the API version: the metadata every answer has.
    private static func started(_ prefix: [UInt8], requestID: String) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(prefix.count + requestID.utf8.count + 96)
        bytes += prefix
        bytes += #""request_id":"#.utf8
        JSONWriter.writeString(requestID, into: &bytes)
        bytes += apiVersionField
        return bytes
    }
}
