import Foundation

/// One term of a word list or context list, as compiled.
struct TermPayload: Sendable {
    var rule: Int32          // index into CompiledPolicies.rules
    var weight: Double
    var category: String?
    var severity: String?
    var term: String
    var line: Int32
}

/// A token-level trie over every phrase list of one language: exact tokens, `word*` prefixes
/// and `*word` suffixes. Scanning visits each start token once and walks as deep as phrases go.
struct PhraseTrie: Sendable {
    struct Node: Sendable {
        /// Edges by word, for words longer than `WordKey.maxBytes` (shorter ones are in `transitions`).
        var exact: [String: Int32] = [:]
        var prefix: [String: Int32] = [:]
        var prefixLens: [Int] = []
        var suffix: [String: Int32] = [:]
        var suffixLens: [Int] = []
        /// Bitmaps over the first two (prefix) / last two (suffix) UTF-8 bytes of the keys.
        var prefixFilter: [UInt64] = []
        var suffixFilter: [UInt64] = []
        /// Bitmap over (length, first byte, last byte) of the exact keys: most words skip the lookup.
        var exactFilter: [UInt64] = []
        var payload: [Int32] = []
    }

    enum Edge: UInt32 { case exact = 0, prefix = 1, suffix = 2 }

    /// Every edge of every node whose word fits a `WordKey`, tagged by node and edge kind.
    var transitions = WordTable(capacity: 1024)

    @inline(__always) static func tag(_ node: Int, _ edge: Edge) -> UInt32 { UInt32(node) << 2 | edge.rawValue }

    var nodes: [Node] = [Node()]
    var payloads: [TermPayload] = []

    /// Inserts a phrase. `pieces` are whitespace-separated parts of the term; a part may end in
    /// `*` (prefix) or start with `*` (suffix). Returns false if the term has no tokens.
    /// The token edges of a term: whitespace-separated parts, `word*` a prefix, `*word` a suffix.
    static func edges(for term: String) -> [(String, Int)] {
        var edges: [(String, Int)] = []  // 0 exact, 1 prefix, 2 suffix
        for piece in term.split(whereSeparator: { $0 == " " || $0 == "\t" }) {
            var p = String(piece)
            var kind = 0
            if p.hasSuffix("*") && p.count > 1 { kind = 1; p.removeLast() }
            else if p.hasPrefix("*") && p.count > 1 { kind = 2; p.removeFirst() }
            let toks = termTokens(p)
            if toks.isEmpty { continue }
            for (k, t) in toks.enumerated() {
                var kk = 0
                if kind == 1 && k == toks.count - 1 { kk = 1 }
                if kind == 2 && k == 0 { kk = 2 }
                edges.append((t, kk))
            }
        }
        return edges
    }

    @discardableResult
    mutating func insert(term: String, payload: TermPayload) -> Bool {
        insert(edges: PhraseTrie.edges(for: term), payload: payload)
    }

    @discardableResult
    mutating func insert(edges: [(String, Int)], payload: TermPayload) -> Bool {
        guard !edges.isEmpty else { return false }
        var node = 0
        for (t, kind) in edges {
            let next: Int32?
            switch kind {
            case 1: next = nodes[node].prefix[t]
            case 2: next = nodes[node].suffix[t]
            default: next = nodes[node].exact[t]
            }
            if let nx = next { node = Int(nx); continue }
            let id = Int32(nodes.count)
            nodes.append(Node())
            let len = t.utf8.count
            let bytes = Array(t.utf8)
            if let key = WordKey(t) { transitions.set(key, tag: PhraseTrie.tag(node, kind == 1 ? .prefix : kind == 2 ? .suffix : .exact), id) }
            switch kind {
            case 1:
                nodes[node].prefix[t] = id
                if !nodes[node].prefixLens.contains(len) { nodes[node].prefixLens.append(len); nodes[node].prefixLens.sort() }
                if nodes[node].prefixFilter.isEmpty { nodes[node].prefixFilter = Array(repeating: 0, count: 1024) }
                let key = PhraseTrie.key2(bytes[0], bytes.count > 1 ? bytes[1] : 0)
                nodes[node].prefixFilter[key >> 6] |= 1 << UInt64(key & 63)
            case 2:
                nodes[node].suffix[t] = id
                if !nodes[node].suffixLens.contains(len) { nodes[node].suffixLens.append(len); nodes[node].suffixLens.sort() }
                if nodes[node].suffixFilter.isEmpty { nodes[node].suffixFilter = Array(repeating: 0, count: 1024) }
                let key = PhraseTrie.key2(bytes.count > 1 ? bytes[bytes.count - 2] : 0, bytes[bytes.count - 1])
                nodes[node].suffixFilter[key >> 6] |= 1 << UInt64(key & 63)
            default:
                nodes[node].exact[t] = id
                if nodes[node].exactFilter.isEmpty { nodes[node].exactFilter = Array(repeating: 0, count: 256) }
                let k = bytes.withUnsafeBufferPointer { PhraseTrie.exactKey($0, from: 0, count: bytes.count) }
                nodes[node].exactFilter[k >> 6] |= 1 << UInt64(k & 63)
            }
            node = Int(id)
        }
        let pid = Int32(payloads.count)
        payloads.append(payload)
        nodes[node].payload.append(pid)
        return true
    }

    /// The `exactFilter` bit of the word `b[from, from + count)`: its length, first and last byte.
    @inline(__always) static func exactKey(_ b: UnsafeBufferPointer<UInt8>, from: Int, count: Int) -> Int {
        (count & 15) << 10 | Int(b[from] & 31) << 5 | Int(b[from + count - 1] & 31)
    }

    @inline(__always) static func key2(_ a: UInt8, _ b: UInt8) -> Int { Int(a) << 8 | Int(b) }

    /// The nodes reached from `node` by the word `bytes[from, from + count)` (`key` its packed form).
    @inline(__always)
    private func step(_ node: Int32, _ key: WordKey, _ text: @autoclosure () -> String, _ bytes: UnsafeBufferPointer<UInt8>, from: Int, count: Int, _ out: inout [Int32]) {
        guard count > 0 else { return }
        let n = Int(node)
        if !nodes[n].exactFilter.isEmpty {
            let k = PhraseTrie.exactKey(bytes, from: from, count: count)
            if nodes[n].exactFilter[k >> 6] & (1 << UInt64(k & 63)) != 0 {
                if !key.isNone {
                    if let x = transitions.find(key, tag: PhraseTrie.tag(n, .exact)) { out.append(x) }
                } else if let x = nodes[n].exact[text()] {
                    out.append(x)
                }
            }
        }
        if count >= 2 && !nodes[n].prefixLens.isEmpty {
            let k = PhraseTrie.key2(bytes[from], bytes[from + 1])
            if nodes[n].prefixFilter[k >> 6] & (1 << UInt64(k & 63)) != 0 {
                for len in nodes[n].prefixLens where len <= count {
                    if len <= WordKey.maxBytes {
                        if let x = transitions.find(WordKey(bytes, from: from, len: len), tag: PhraseTrie.tag(n, .prefix)) { out.append(x) }
                    } else if let x = nodes[n].prefix[String(decoding: UnsafeBufferPointer(rebasing: bytes[from..<from + len]), as: UTF8.self)] {
                        out.append(x)
                    }
                }
            }
        }
        if count >= 3 && !nodes[n].suffixLens.isEmpty {
            let k = PhraseTrie.key2(bytes[from + count - 2], bytes[from + count - 1])
            if nodes[n].suffixFilter[k >> 6] & (1 << UInt64(k & 63)) != 0 {
                for len in nodes[n].suffixLens where len < count {
                    let at = from + count - len
                    if len <= WordKey.maxBytes {
                        if let x = transitions.find(WordKey(bytes, from: at, len: len), tag: PhraseTrie.tag(n, .suffix)) { out.append(x) }
                    } else if let x = nodes[n].suffix[String(decoding: UnsafeBufferPointer(rebasing: bytes[at..<at + len]), as: UTF8.self)] {
                        out.append(x)
                    }
                }
            }
        }
    }

    /// The root step's nodes for recent words by packed key: a long text repeats its words, and
    /// the root step of a word depends on the word alone (the key holds all its bytes).
    private struct RootStepMemo {
        static let maxNodes = 3
        private var keys: [WordKey]
        private var counts: [UInt8]
        private var found: [Int32]
        private let mask: Int

        init(size: Int) {
            keys = Array(repeating: .none, count: size)
            counts = Array(repeating: 0, count: size)
            found = Array(repeating: 0, count: size * RootStepMemo.maxNodes)
            mask = size - 1
        }

        @inline(__always) private func slot(_ key: WordKey) -> Int {
            let h = (key.lo &* 0x9E37_79B9_7F4A_7C15) ^ (key.hi &* 0xC2B2_AE3D_27D4_EB4F)
            return Int(truncatingIfNeeded: (h ^ (h >> 29)) & UInt64(mask))
        }

        /// Appends the remembered nodes of `key` (not `.none`) to `out`; false when not remembered.
        @inline(__always) func recall(_ key: WordKey, into out: inout [Int32]) -> Bool {
            let k = slot(key)
            guard keys[k] == key else { return false }
            let base = k * RootStepMemo.maxNodes
            for q in 0..<Int(counts[k]) { out.append(found[base + q]) }
            return true
        }

        /// Remembers `nodes` for `key` (not `.none`) when they fit a slot.
        mutating func remember(_ key: WordKey, _ nodes: [Int32]) {
            guard nodes.count <= RootStepMemo.maxNodes else { return }
            let k = slot(key)
            keys[k] = key
            counts[k] = UInt8(nodes.count)
            for q in nodes.indices { found[k * RootStepMemo.maxNodes + q] = nodes[q] }
        }
    }

    /// Calls `emit(startToken, endToken (exclusive), payloadIndex)` for every phrase occurrence.
    func scan(_ tk: Tokenized, emit: (Int, Int, Int32) -> Void) {
        let tokens = tk.tokens
        var frontier: [Int32] = []
        var next: [Int32] = []
        frontier.reserveCapacity(4)
        next.reserveCapacity(4)
        // only texts long enough to repeat words pay for the memo's tables
        var memo: RootStepMemo? = tokens.count >= 1024 ? RootStepMemo(size: 2048) : nil
        tk.bytes.withUnsafeBufferPointer { bytes in tokens.withUnsafeBufferPointer { tokens in
            for i in 0..<tokens.count {
                if !frontier.isEmpty { frontier.removeAll(keepingCapacity: true) }
                let key = tokens[i].key
                if key.isNone || memo == nil {
                    step(0, key, tokens[i].text, bytes, from: Int(tokens[i].byteStart), count: Int(tokens[i].byteCount), &frontier)
                } else if !memo!.recall(key, into: &frontier) {
                    step(0, key, tokens[i].text, bytes, from: Int(tokens[i].byteStart), count: Int(tokens[i].byteCount), &frontier)
                    memo!.remember(key, frontier)
                }
                var j = i
                while !frontier.isEmpty {
                    for nd in frontier {
                        if !nodes[Int(nd)].payload.isEmpty { for p in nodes[Int(nd)].payload { emit(i, j + 1, p) } }
                    }
                    j += 1
                    if j >= tokens.count || j - i > 8 { break }
                    if !next.isEmpty { next.removeAll(keepingCapacity: true) }
                    for nd in frontier { step(nd, tokens[j].key, tokens[j].text, bytes, from: Int(tokens[j].byteStart), count: Int(tokens[j].byteCount), &next) }
                    swap(&frontier, &next)
                }
            }
        } }
    }

    /// Exact single-token lookup at the root (used by the obfuscation channel).
    func singleToken(_ t: String) -> [Int32] {
        var out: [Int32] = []
        let utf8 = Array(t.utf8)
        utf8.withUnsafeBufferPointer { step(0, WordKey(t) ?? .none, t, $0, from: 0, count: utf8.count, &out) }
        var ps: [Int32] = []
        for nd in out { ps.append(contentsOf: nodes[Int(nd)].payload) }
        return ps
    }
}
