import BatchCodecs
import BatchModel

/// The signature batchd puts on every completion webhook, in the header
/// `X-Batchd-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
/// Receivers recompute it over the raw body and reject old timestamps.
public enum WebhookSignature {
    public static let header = "X-Batchd-Signature"

    public static func sign(body: [UInt8], secret: String, timestamp: Int64) -> String {
        "t=\(timestamp),v1=" + HMACSHA256.hex(key: secret, message: Array("\(timestamp).".utf8) + body)
    }

    /// Whether `value` is a valid signature of `body`, compared in constant time.
    public static func verify(_ value: String, body: [UInt8], secret: String) -> Bool {
        var timestamp: Int64?
        var signature: String?
        for part in value.split(separator: ",") {
            if part.hasPrefix("t=") { timestamp = Int64(part.dropFirst(2)) }
            if part.hasPrefix("v1=") { signature = String(part.dropFirst(3)) }
        }
        guard let timestamp, let signature else { return false }
        let expected = HMACSHA256.hex(key: secret, message: Array("\(timestamp).".utf8) + body)
        return ConstantTime.equal(expected.utf8, signature.utf8)
    }
}
