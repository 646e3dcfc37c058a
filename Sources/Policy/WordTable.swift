/// A word of up to 15 UTF-8 bytes packed into two integers, with its length as a tag, so that
/// the matcher compares and hashes words as two machine words instead of hashing a `String`
/// with SipHash. Nearly every word is that short; longer ones take the `String` path.
struct WordKey: Hashable, Sendable {
    var lo: UInt64
    var hi: UInt64

    static let maxBytes = 15
    static let none = WordKey(lo: 0, hi: 0)

    /// Bytes `[from, from + len)` of `b`; `len` must be 1...15.
    @inline(__always)
    init(_ b: UnsafeBufferPointer<UInt8>, from: Int, len: Int) {
        var lo: UInt64 = 0, hi = UInt64(len) << 56
        var k = 0
        while k < len && k < 8 { lo |= UInt64(b[from + k]) << UInt64(8 * k); k += 1 }
        while k < len { hi |= UInt64(b[from + k]) << UInt64(8 * (k - 8)); k += 1 }
        self.lo = lo
        self.hi = hi
    }

    init(lo: UInt64, hi: UInt64) {
        self.lo = lo
        self.hi = hi
    }

    /// The key of a whole word, or nil when it is longer than 15 bytes.
    init?(_ word: String) {
        let n = word.utf8.count
        guard n > 0, n <= WordKey.maxBytes else { return nil }
        // the same packing as from a buffer, without copying the word into an array first
        var lo: UInt64 = 0, hi = UInt64(n) << 56
        for (k, b) in word.utf8.enumerated() {
            if k < 8 { lo |= UInt64(b) << UInt64(8 * k) } else { hi |= UInt64(b) << UInt64(8 * (k - 8)) }
        }
        self.lo = lo
        self.hi = hi
    }

    @inline(__always) var isNone: Bool { hi == 0 }
}

/// An open-addressing hash table from (node, edge kind, word) to an `Int32`: the phrase trie's
/// transitions and the stop-word masks. A lookup is two multiplies and usually one probe.
struct WordTable: Sendable {
    private var keys: [WordKey]
    private var tags: [UInt32]
    private var values: [Int32]
    private var mask: Int
    private(set) var count = 0

    init(capacity: Int = 16) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        keys = Array(repeating: .none, count: size)
        tags = Array(repeating: 0, count: size)
        values = Array(repeating: 0, count: size)
        mask = size - 1
    }

    @inline(__always) private static func slot(_ k: WordKey, _ tag: UInt32, _ mask: Int) -> Int {
        let h = (k.lo &* 0x9E37_79B9_7F4A_7C15) ^ (k.hi &* 0xC2B2_AE3D_27D4_EB4F) ^ (UInt64(tag) &* 0x1656_67B1_9E37_79F9)
        return Int(truncatingIfNeeded: (h ^ (h >> 29)) & UInt64(mask))
    }

    /// The value for `key` under `tag` (a node id and edge kind, or 0).
    @inline(__always) func find(_ key: WordKey, tag: UInt32 = 0) -> Int32? {
        var i = WordTable.slot(key, tag, mask)
        return keys.withUnsafeBufferPointer { ks in
            while !ks[i].isNone {
                if ks[i] == key && tags[i] == tag { return values[i] }
                i = (i + 1) & mask
            }
            return nil
        }
    }

    mutating func set(_ key: WordKey, tag: UInt32 = 0, _ value: Int32) {
        precondition(!key.isNone)
        if (count + 1) * 2 > keys.count { grow() }
        var i = WordTable.slot(key, tag, mask)
        while !keys[i].isNone {
            if keys[i] == key && tags[i] == tag { values[i] = value; return }
            i = (i + 1) & mask
        }
        keys[i] = key
        tags[i] = tag
        values[i] = value
        count += 1
    }

    private mutating func grow() {
        let old = (keys, tags, values)
        self = WordTable(capacity: keys.count)
        for i in old.0.indices where !old.0[i].isNone { set(old.0[i], tag: old.1[i], old.2[i]) }
    }
}
