/// The captures of a matched path (`{batch_id}` → its segment), in pattern order.
///
/// A route has one or two captures and a handler reads each once: a short list
/// compared by name costs less than hashing into a dictionary, which every
/// request with a capture used to allocate and fill. The first capture is held
/// inline, so the usual route (one capture) allocates no list at all.
public struct RouteParameters: Sendable, Equatable, ExpressibleByDictionaryLiteral {
    private var first: (name: String, value: String)?
    private var others: [(name: String, value: String)] = []

    public init() {}

    public init(dictionaryLiteral elements: (String, String)...) {
        for (name, value) in elements { self[name] = value }
    }

    /// Every capture, in the order they were set.
    public var pairs: [(name: String, value: String)] { (first.map { [$0] } ?? []) + others }

    public var isEmpty: Bool { first == nil }

    /// The value captured as `name`; setting a name again replaces its value.
    public subscript(name: String) -> String? {
        get {
            if let first, first.name == name { return first.value }
            return others.first { $0.name == name }?.value
        }
        set {
            if let current = first, current.name == name {
                if let newValue {
                    first = (name, newValue)
                } else {
                    first = others.isEmpty ? nil : others.removeFirst()
                }
            } else if let index = others.firstIndex(where: { $0.name == name }) {
                if let newValue { others[index].value = newValue } else { others.remove(at: index) }
            } else if let newValue {
                if first == nil { first = (name, newValue) } else { others.append((name, newValue)) }
            }
        }
    }

    /// Equal when they hold the same names with the same values, in any order.
    public static func == (lhs: RouteParameters, rhs: RouteParameters) -> Bool {
        let pairs = lhs.pairs
        return pairs.count == rhs.pairs.count && pairs.allSatisfy { rhs[$0.name] == $0.value }
    }
}
