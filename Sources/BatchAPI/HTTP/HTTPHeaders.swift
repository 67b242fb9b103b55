/// A request's headers: names in lower case, in the order they came. A request
/// carries a handful and a handler asks for one or two, so a list searched from
/// the end (a later header of the same name wins) costs less than a dictionary
/// that hashes every name on the way in.
public struct HTTPHeaders: Sendable, Equatable, Sequence, ExpressibleByDictionaryLiteral {
    public struct Field: Sendable, Equatable {
        public var name: String
        public var value: String
    }

    private var fields: [Field]

    public init() { fields = [] }

    /// Takes the names as given (lower-cased here).
    public init(_ headers: [String: String]) {
        fields = headers.map { Field(name: $0.key.lowercased(), value: $0.value) }
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        fields = elements.map { Field(name: $0.0.lowercased(), value: $0.1) }
    }

    public var count: Int { fields.count }

    /// Keeps room for `count` headers without growing.
    public mutating func reserveCapacity(_ count: Int) { fields.reserveCapacity(count) }

    /// Adds a header whose name is already in lower case (no check for an earlier one).
    public mutating func append(lowercasedName name: String, value: String) { fields.append(Field(name: name, value: value)) }

    /// The value of the last header called `name` (ASCII case-insensitive); setting
    /// replaces every header of that name, and nil removes them.
    public subscript(name: String) -> String? {
        get { fields.last { HTTPResponse.sameName($0.name, name) }?.value }
        set {
            fields.removeAll { HTTPResponse.sameName($0.name, name) }
            if let newValue { fields.append(Field(name: name.lowercased(), value: newValue)) }
        }
    }

    public func makeIterator() -> IndexingIterator<[Field]> { fields.makeIterator() }

    /// Equal when every name has the same (last) value, in any order.
    public static func == (lhs: HTTPHeaders, rhs: HTTPHeaders) -> Bool { lhs.dictionary == rhs.dictionary }

    var dictionary: [String: String] {
        Dictionary(fields.map { ($0.name, $0.value) }, uniquingKeysWith: { _, later in later })
    }
}
