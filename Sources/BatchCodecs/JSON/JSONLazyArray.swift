/// An array inside a parsed body, kept as the body's bytes: its elements were
/// checked when the body was parsed, and are parsed again one at a time when
/// asked for, so a body of many items is never a tree of all of them at once.
public struct JSONLazyArray: Sendable {
    /// The whole body the array is in (shared, not copied).
    let bytes: [UInt8]
    /// The offset of the array's `[`.
    let start: Int
    /// How deep the array is nested (its elements are one deeper).
    let depth: Int
    /// How many elements it has.
    public let count: Int

    /// Calls `body` with each element in order and its index; stops at the first error `body` throws.
    public func forEach<E: Error>(_ body: (Int, JSONValue) throws(E) -> Void) throws(E) {
        var failure: E?
        JSONParser.elements(of: self) { index, value in
            do throws(E) {
                try body(index, value)
                return true
            } catch {
                failure = error
                return false
            }
        }
        if let failure { throw failure }
    }
}
