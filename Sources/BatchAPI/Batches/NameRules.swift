import BatchCodecs
import BatchModel

/// What a name a client gives (a batch's name, a collection, a filename, a
/// custom id) may hold: every character is kept exactly as sent, so characters
/// that cannot be kept or shown faithfully are refused instead: C0 and C1
/// control characters (NUL included, which C-string layers would truncate at),
/// and names longer than the field allows.
public enum NameRules {
    public static let maxFilenameCharacters = 1000

    /// `value`, checked for `field`: 400 naming the field and the first bad character.
    public static func check(_ value: String, field: String, characters range: ClosedRange<Int>) throws(APIError) {
        if let bad = value.unicodeScalars.first(where: { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }) {
            let hex = String(bad.value, radix: 16, uppercase: true)
            let code = "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
            throw APIError(
                .validationError, "Invalid value for field '\(field)': control character \(code) is not allowed",
                details: ["field": .string(field), "error": .string("control character \(code) is not allowed")])
        }
        // Counted as JSON Schema counts (code points), so the contract and the check agree.
        let count = value.unicodeScalars.count
        guard range.contains(count) else {
            let reason =
                range.lowerBound > 0
                ? "must be \(range.lowerBound) to \(range.upperBound) characters" : "must be at most \(range.upperBound) characters"
            throw APIError.invalidField(field, reason)
        }
    }
}
