/// The key index of a large `JSONObject`: an open-addressing table of positions
/// in the object's pairs, keyed by a seeded SipHash of each key's UTF-8 bytes
/// (Swift's `Hasher`, random per process, so no client can precompute
/// colliding keys). Insert and lookup are O(1) expected; the table stays at most
/// half full and grows by rehashing the stored hashes, never the keys.
///
/// Each slot packs 32 bits of the key's hash with its position (+1, so 0 is
/// empty) into one word: a probe reads one array, and the whole index is a
/// single reference, which keeps `JSONObject` and so every `JSONValue` small.
struct JSONKeyIndex: Sendable {
    private var slots: [UInt64]

    /// An index of `count` keys, sized for them at once. `duplicate` is set to the
    /// position of the first key equal to an earlier one (the index is then partial).
    init(count: Int, key: (Int) -> String, duplicate: inout Int?) {
        var size = 64
        while size < count * 2 { size <<= 1 }
        slots = [UInt64](repeating: 0, count: size)
        for position in 0..<count {
            let text = key(position)
            if insert(text, at: position, isEqual: { key($0) == text }) != nil {
                duplicate = position
                return
            }
        }
    }

    static func hash(_ key: String) -> UInt32 {
        var hasher = Hasher()
        var text = key
        text.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        return UInt32(truncatingIfNeeded: hasher.finalize())
    }

    /// The position of a key with `key`'s hash for which `isEqual` holds.
    func position(of key: String, isEqual: (Int) -> Bool) -> Int? {
        probe(Self.hash(key), isEqual: isEqual).found
    }

    /// Records `key` at `position` (the number of keys recorded so far) unless an
    /// equal key is present; returns that key's position when it is.
    mutating func insert(_ key: String, at position: Int, isEqual: (Int) -> Bool) -> Int? {
        let hash = Self.hash(key)
        let (found, slot) = probe(hash, isEqual: isEqual)
        if let found { return found }
        slots[slot] = UInt64(hash) << 32 | UInt64(position + 1)
        if (position + 1) * 2 > slots.count { grow() }
        return nil
    }

    /// Walks the slots from `hash`'s home: the position of an equal key, or the empty slot that ends the run.
    private func probe(_ hash: UInt32, isEqual: (Int) -> Bool) -> (found: Int?, slot: Int) {
        slots.withUnsafeBufferPointer { slots in
            let mask = slots.count - 1
            var slot = Int(hash) & mask
            while slots[slot] != 0 {
                let entry = slots[slot]
                if UInt32(truncatingIfNeeded: entry >> 32) == hash {
                    let at = Int(truncatingIfNeeded: entry & 0xFFFF_FFFF) - 1
                    if isEqual(at) { return (at, slot) }
                }
                slot = (slot + 1) & mask
            }
            return (nil, slot)
        }
    }

    private mutating func grow() {
        var larger = [UInt64](repeating: 0, count: slots.count * 2)
        let mask = larger.count - 1
        for entry in slots where entry != 0 {
            var slot = Int(truncatingIfNeeded: entry >> 32) & mask
            while larger[slot] != 0 { slot = (slot + 1) & mask }
            larger[slot] = entry
        }
        slots = larger
    }
}
