import BatchModel

/// The `custom_id`s of a request's rows so far, to refuse one given twice. Kept
/// as a seeded hash of each id with its row (16 bytes an entry, not the strings),
/// since a large body's rows are read one at a time and never held; a hash seen
/// before is confirmed by reading the earlier row's id again (`customID(ofRow:)`).
/// Two different ids whose 64-bit hashes meet are vanishingly unlikely; the
/// store's unique index on `(batch_id, custom_id)` stays the last word.
struct CustomIDRegistry {
    private var rows: [Int: Int] = [:]
    /// The custom id of a 1-based row, read again from the request.
    let customID: (_ ofRow: Int) -> String?

    init(customID: @escaping (_ ofRow: Int) -> String?) { self.customID = customID }

    /// The row that already gave `id`, or nil after recording `row` as giving it.
    mutating func earlierRow(giving id: String, row: Int) -> Int? {
        var hasher = Hasher()
        hasher.combine(id)
        let hash = hasher.finalize()
        if let first = rows[hash] {
            if customID(first) == id { return first }
            return nil
        }
        rows[hash] = row
        return nil
    }
}
