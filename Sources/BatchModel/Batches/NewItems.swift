/// The valid items of a new batch or of an append, in request order: either held
/// (files just uploaded, rows of a CSV) or produced again from the request body
/// each time they are walked, so that storing a large JSON body never needs all
/// its items in memory at once. `count` and `totalBytes` are known up front, for
/// limits and quotas checked before anything is written.
public struct NewItems: Sendable, ExpressibleByArrayLiteral {
    public let count: Int
    /// The sum of the items' `sizeBytes`.
    public let totalBytes: Int64
    private let source: Source

    private enum Source: Sendable {
        case held([NewItem])
        /// Calls its argument with each item until it returns false.
        case produced(@Sendable ((NewItem) -> Bool) -> Void)
    }

    public init(_ items: [NewItem]) {
        count = items.count
        totalBytes = items.reduce(0) { $0 + Int64($1.sizeBytes) }
        source = .held(items)
    }

    public init(arrayLiteral items: NewItem...) { self.init(items) }

    /// Items made on demand by `produce`, which must hand over the same `count`
    /// items, of `totalBytes` in all, every time it is called.
    public init(count: Int, totalBytes: Int64, produce: @escaping @Sendable ((NewItem) -> Bool) -> Void) {
        self.count = count
        self.totalBytes = totalBytes
        source = .produced(produce)
    }

    public var isEmpty: Bool { count == 0 }

    /// Calls `body` with each item in order; stops at the first error it throws.
    public func forEach<E: Error>(_ body: (NewItem) throws(E) -> Void) throws(E) {
        switch source {
        case .held(let items):
            for item in items { try body(item) }
        case .produced(let produce):
            var failure: E?
            produce { item in
                do throws(E) {
                    try body(item)
                    return true
                } catch {
                    failure = error
                    return false
                }
            }
            if let failure { throw failure }
        }
    }

    /// Every item, in memory at once: for tests and small batches.
    public var all: [NewItem] {
        var items: [NewItem] = []
        items.reserveCapacity(count)
        forEach { items.append($0) }
        return items
    }
}
