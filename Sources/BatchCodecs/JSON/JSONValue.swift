/// A JSON document as a value.
///
/// Objects keep their keys in insertion order, so rendered documents read in the
/// same order as the spec pages that define them. Numbers keep the distinction
/// between integers and doubles so that `200` never renders as `200.0`.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// The value of `key` when this is an object; nil otherwise.
    public subscript(key: String) -> JSONValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var intValue: Int64? {
        switch self {
        case .int(let i): return i
        case .double(let d) where d == d.rounded() && abs(d) < 9.0e15: return Int64(d)
        default: return nil
        }
    }

    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    public var isNull: Bool { self == .null }
}

/// An ordered JSON object. Small objects (most documents here) are searched
/// linearly; past `indexThreshold` keys a hash index (`JSONKeyIndex`) keeps
/// lookups and inserts O(1) expected, so an object of 100,000 keys parses in
/// linear time.
public struct JSONObject: Sendable, Equatable, ExpressibleByDictionaryLiteral {
    public private(set) var pairs: [(key: String, value: JSONValue)]
    /// Built once there are more than `indexThreshold` keys.
    private var index: JSONKeyIndex?

    static let indexThreshold = 16

    public init() { pairs = [] }

    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        pairs = []
        for (key, value) in elements { self[key] = value }
    }

    private func position(of key: String) -> Int? {
        if let index { return index.position(of: key) { pairs[$0].key == key } }
        return pairs.firstIndex(where: { $0.key == key })
    }

    public subscript(key: String) -> JSONValue? {
        get { position(of: key).map { pairs[$0].value } }
        set {
            if let at = position(of: key) {
                if let newValue {
                    pairs[at].value = newValue
                } else {
                    pairs.remove(at: at)
                    index = Self.index(of: pairs)
                }
            } else if let newValue {
                _ = insertNew(key, newValue)
            }
        }
    }

    /// Adds `key` unless it is present; false (and nothing changed) when it is.
    mutating func insertNew(_ key: String, _ value: JSONValue) -> Bool {
        if index != nil {
            let pairs = self.pairs
            guard index!.insert(key, at: pairs.count, isEqual: { pairs[$0].key == key }) == nil else { return false }
        } else if pairs.contains(where: { $0.key == key }) {
            return false
        }
        pairs.append((key: key, value: value))
        if index == nil, pairs.count > Self.indexThreshold { index = Self.index(of: pairs) }
        return true
    }

    /// The object of `pairs` as parsed, keys in order; throws the position of the
    /// first key that repeats an earlier one. Checking once the object is complete
    /// sizes the index at once, which is cheaper than growing it key by key.
    init(parsed pairs: [(key: String, value: JSONValue)]) throws(DuplicateKeyPosition) {
        self.pairs = pairs
        if pairs.count > Self.indexThreshold {
            var duplicate: Int?
            index = JSONKeyIndex(count: pairs.count, key: { pairs[$0].key }, duplicate: &duplicate)
            if let duplicate { throw DuplicateKeyPosition(position: duplicate) }
        } else {
            for position in pairs.indices.dropFirst() where pairs[..<position].contains(where: { $0.key == pairs[position].key }) {
                throw DuplicateKeyPosition(position: position)
            }
        }
    }

    /// Which pair of a parsed object repeats an earlier key.
    struct DuplicateKeyPosition: Error { let position: Int }

    private static func index(of pairs: [(key: String, value: JSONValue)]) -> JSONKeyIndex? {
        guard pairs.count > indexThreshold else { return nil }
        var duplicate: Int?
        return JSONKeyIndex(count: pairs.count, key: { pairs[$0].key }, duplicate: &duplicate)
    }

    public var keys: [String] { pairs.map(\.key) }

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        lhs.pairs.count == rhs.pairs.count
            && zip(lhs.pairs, rhs.pairs).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByFloatLiteral, ExpressibleByNilLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(nilLiteral: ()) { self = .null }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        var object = JSONObject()
        for (key, value) in elements { object[key] = value }
        self = .object(object)
    }
}

extension JSONValue {
    /// A string, or null when absent.
    public static func optional(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
    /// An integer from any fixed-width integer.
    public static func integer<T: BinaryInteger>(_ value: T) -> JSONValue { .int(Int64(value)) }
}
