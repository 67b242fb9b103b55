/// The captures of a matched path (`{batch_id}` → its segment), in pattern order.
///
/// A route has one or two captures and a handler reads each once: a short list
/// compared by name costs less than hashing into a dictionary, which every
/// request with a capture used to allocate and fill.
public struct RouteParameters: Sendable, Equatable, ExpressibleByDictionaryLiteral {
    public private(set) var pairs: [(name: String, value: String)]

    public init() { pairs = [] }

    public init(dictionaryLiteral elements: (String, String)...) {
        pairs = []
        for (name, value) in elements { self[name] = value }
    }

    public var isEmpty: Bool { pairs.isEmpty }

    /// The value captured as `name`; setting a name again replaces its value.
    public subscript(name: String) -> String? {
        get { pairs.first { $0.name == name }?.value }
        set {
            if let index = pairs.firstIndex(where: { $0.name == name }) {
                if let newValue { pairs[index].value = newValue } else { pairs.remove(at: index) }
            } else if let newValue {
                pairs.append((name, newValue))
            }
        }
    }

    mutating func reserveCapacity(_ count: Int) { pairs.reserveCapacity(count) }

    /// Equal when they hold the same names with the same values, in any order.
    public static func == (lhs: RouteParameters, rhs: RouteParameters) -> Bool {
        lhs.pairs.count == rhs.pairs.count && lhs.pairs.allSatisfy { rhs[$0.name] == $0.value }
    }
}
