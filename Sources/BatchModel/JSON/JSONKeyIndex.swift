/// The key index of a large `JSONObject`: an open-addressing table of positions
/// in the object's pairs, keyed by a seeded SipHash of each key's UTF-8 bytes
/// (Swift's `Hasher`, random per process, so no client can precompute
/// colliding keys). Insert and lookup are O(1) expected; the table stays at most
/// half full and grows by rehashing stored hashes, never the keys.
struct JSONKeyIndex: Sendable {
    /// Positions in the object's pairs; -1 is an empty slot.
    private var slots: [Int32]
    /// The hash of each pair's key, by position.
    private var hashes: [Int] = []

    init(keys: [String]) {
        var size = 64
        while size < keys.count * 2 { size <<= 1 }
        slots = [Int32](repeating: -1, count: size)
        hashes.reserveCapacity(keys.count)
        for key in keys { _ = insert(key, isEqual: { _ in false }) }
    }

    static func hash(_ key: String) -> Int {
        var hasher = Hasher()
        var text = key
        text.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        return hasher.finalize()
    }

    /// The position of a key with `key`'s hash for which `isEqual` holds.
    func position(of key: String, isEqual: (Int) -> Bool) -> Int? {
        probe(Self.hash(key), isEqual: isEqual).found
    }

    /// Records `key` at the next position (`hashes.count`) unless an equal key is
    /// present; returns that key's position when it is.
    mutating func insert(_ key: String, isEqual: (Int) -> Bool) -> Int? {
        let hash = Self.hash(key)
        let (found, slot) = probe(hash, isEqual: isEqual)
        if let found { return found }
        slots[slot] = Int32(hashes.count)
        hashes.append(hash)
        if hashes.count * 2 > slots.count { grow() }
        return nil
    }

    /// Walks the slots from `hash`'s home: the position of an equal key, or the empty slot that ends the run.
    private func probe(_ hash: Int, isEqual: (Int) -> Bool) -> (found: Int?, slot: Int) {
        let mask = slots.count - 1
        var slot = hash & mask
        while slots[slot] >= 0 {
            let at = Int(slots[slot])
            if hashes[at] == hash, isEqual(at) { return (at, slot) }
            slot = (slot + 1) & mask
        }
        return (nil, slot)
    }

    private mutating func grow() {
        var larger = [Int32](repeating: -1, count: slots.count * 2)
        let mask = larger.count - 1
        for (at, hash) in hashes.enumerated() {
            var slot = hash & mask
            while larger[slot] >= 0 { slot = (slot + 1) & mask }
            larger[slot] = Int32(at)
        }
        slots = larger
    }
}
