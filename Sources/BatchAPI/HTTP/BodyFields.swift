public import BatchCodecs
import BatchModel

/// Typed reads of a JSON request object, each failure a 400 naming the field.
/// Unknown fields are refused too: a typo must not be silently ignored.
public struct BodyFields {
    public let object: JSONObject
    /// Dotted path of this object inside the body, for error messages (`rate_limit.burst`).
    public let path: String

    public init(_ object: JSONObject, path: String = "") {
        self.object = object
        self.path = path
    }

    private func name(_ key: String) -> String { path.isEmpty ? key : path + "." + key }

    public func allowOnly(_ keys: Set<String>) throws(APIError) {
        if let unknown = object.keys.first(where: { !keys.contains($0) }) {
            throw .invalidField(name(unknown), "unknown field; allowed: \(keys.sorted().joined(separator: ", "))")
        }
    }

    public func string(_ key: String) throws(APIError) -> String? {
        guard let value = object[key], !value.isNull else { return nil }
        guard let string = value.stringValue else { throw .invalidField(name(key), "must be a string") }
        return string
    }

    public func requiredString(_ key: String) throws(APIError) -> String {
        guard let string = try string(key) else { throw .invalidField(name(key), "is required") }
        return string
    }

    /// An integer in `range`; null or absent is nil.
    public func int(_ key: String, in range: ClosedRange<Int64>) throws(APIError) -> Int64? {
        guard let value = object[key], !value.isNull else { return nil }
        guard let int = value.intValue else { throw .invalidField(name(key), "must be an integer") }
        guard range.contains(int) else { throw .invalidField(name(key), "must be between \(range.lowerBound) and \(range.upperBound)") }
        return int
    }

    public func has(_ key: String) -> Bool { object[key] != nil }

    public func nested(_ key: String) throws(APIError) -> BodyFields? {
        guard let value = object[key], !value.isNull else { return nil }
        guard case .object(let inner) = value else { throw .invalidField(name(key), "must be an object") }
        return BodyFields(inner, path: name(key))
    }
}
