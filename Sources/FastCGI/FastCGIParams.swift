/// The CGI parameters of one request (`REQUEST_METHOD`, `DOCUMENT_URI`, `HTTP_*`, …)
/// in the order nginx sent them.
///
/// A request carries a dozen or two and the layer above looks up a handful once
/// each, so a list searched from the end (a later duplicate wins, as in a
/// dictionary) costs less than hashing every name into a dictionary: building one
/// was 8% of a cached status answer's CPU.
public struct FastCGIParams: Sendable, Equatable, Sequence, ExpressibleByDictionaryLiteral {
    public struct Parameter: Sendable, Equatable {
        public var name: String
        public var value: String
    }

    public private(set) var parameters: [Parameter]

    public init(_ parameters: [Parameter] = []) { self.parameters = parameters }

    public init(dictionaryLiteral elements: (String, String)...) {
        parameters = elements.map { Parameter(name: $0.0, value: $0.1) }
    }

    public var count: Int { parameters.count }

    /// The value of the last parameter called `name`.
    public subscript(name: String) -> String? {
        // Lengths first: comparing two unequal strings is a call into the runtime each.
        let length = name.utf8.count
        return parameters.last { $0.name.utf8.count == length && $0.name == name }?.value
    }

    public mutating func append(name: String, value: String) { parameters.append(Parameter(name: name, value: value)) }

    public func makeIterator() -> IndexingIterator<[Parameter]> { parameters.makeIterator() }

    /// Equal when every name has the same (last) value, in any order.
    public static func == (lhs: FastCGIParams, rhs: FastCGIParams) -> Bool {
        lhs.dictionary == rhs.dictionary
    }

    var dictionary: [String: String] {
        Dictionary(parameters.map { ($0.name, $0.value) }, uniquingKeysWith: { _, later in later })
    }
}
