import BatchModel

/// The native success envelope of specs 000, 001 and 003:
/// `{"success": true, "message", "data", "metadata": {"request_id", "api_version", …}}`.
public enum NativeEnvelope {
    public static func document(message: String, data: JSONValue, requestID: String, metadata extra: JSONObject = JSONObject()) -> JSONValue {
        var metadata: JSONObject = ["request_id": .string(requestID), "api_version": .string(ServiceInfo.apiVersion)]
        for (key, value) in extra.pairs { metadata[key] = value }
        return ["success": true, "message": .string(message), "data": data, "metadata": .object(metadata)]
    }

    public static func response(_ status: Int = 200, message: String, data: JSONValue, requestID: String, metadata: JSONObject = JSONObject(), headers: [(name: String, value: String)] = []) -> HTTPResponse {
        HTTPResponse.json(status, document(message: message, data: data, requestID: requestID, metadata: metadata), headers: headers)
    }
}
