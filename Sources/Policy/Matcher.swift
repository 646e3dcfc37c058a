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
        var exact: [String: Int32] = [:]
        /// Prefix / suffix keys of up to 7 bytes, packed into integers (cheaper than building strings).
        var prefixPacked: [UInt64: Int32] = [:]
        var suffixPacked: [UInt64: Int32] = [:]
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

    static func pack(_ bytes: [UInt8], _ len: Int) -> UInt64 {
        var v = UInt64(len)
        for b in bytes { v = v << 8 | UInt64(b) }
        return v
    }

    /// Packs `len` bytes of `u` starting at byte offset `from`, with the length as a tag.
    @inline(__always) static func pack(_ u: String.UTF8View, from: Int, len: Int) -> UInt64 {
        var v = UInt64(len)
        var i = u.index(u.startIndex, offsetBy: from)
        for _ in 0..<len { v = v << 8 | UInt64(u[i]); i = u.index(after: i) }
        return v
    }

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
            switch kind {
            case 1:
                nodes[node].prefix[t] = id
                if bytes.count <= 7 { nodes[node].prefixPacked[PhraseTrie.pack(bytes, bytes.count)] = id }
                if !nodes[node].prefixLens.contains(len) { nodes[node].prefixLens.append(len); nodes[node].prefixLens.sort() }
                if nodes[node].prefixFilter.isEmpty { nodes[node].prefixFilter = Array(repeating: 0, count: 1024) }
                let key = PhraseTrie.key2(bytes[0], bytes.count > 1 ? bytes[1] : 0)
                nodes[node].prefixFilter[key >> 6] |= 1 << UInt64(key & 63)
            case 2:
                nodes[node].suffix[t] = id
                if bytes.count <= 7 { nodes[node].suffixPacked[PhraseTrie.pack(bytes, bytes.count)] = id }
                if !nodes[node].suffixLens.contains(len) { nodes[node].suffixLens.append(len); nodes[node].suffixLens.sort() }
                if nodes[node].suffixFilter.isEmpty { nodes[node].suffixFilter = Array(repeating: 0, count: 1024) }
                let key = PhraseTrie.key2(bytes.count > 1 ? bytes[bytes.count - 2] : 0, bytes[bytes.count - 1])
                nodes[node].suffixFilter[key >> 6] |= 1 << UInt64(key & 63)
            default:
                nodes[node].exact[t] = id
                if nodes[node].exactFilter.isEmpty { nodes[node].exactFilter = Array(repeating: 0, count: 256) }
                let k = PhraseTrie.exactKey(bytes)
                nodes[node].exactFilter[k >> 6] |= 1 << UInt64(k & 63)
            }
            node = Int(id)
        }
        let pid = Int32(payloads.count)
        payloads.append(payload)
        nodes[node].payload.append(pid)
        return true
    }

    @inline(__always) static func exactKey(_ b: [UInt8]) -> Int {
        (b.count & 15) << 10 | Int(b[0] & 31) << 5 | Int(b[b.count - 1] & 31)
    }

    @inline(__always) static func exactKey(_ u: String.UTF8View) -> Int {
        if let k = u.withContiguousStorageIfAvailable({ b in (b.count & 15) << 10 | Int(b[0] & 31) << 5 | Int(b[b.count - 1] & 31) }) { return k }
        return (u.count & 15) << 10 | Int(u[u.startIndex] & 31) << 5 | Int(u[u.index(before: u.endIndex)] & 31)
    }

    @inline(__always) static func key2(_ a: UInt8, _ b: UInt8) -> Int { Int(a) << 8 | Int(b) }

    @inline(__always)
    private func step(_ node: Int32, _ t: String, _ out: inout [Int32]) {
        let n = Int(node)
        if !nodes[n].exactFilter.isEmpty, !t.isEmpty {
            let k = PhraseTrie.exactKey(t.utf8)
            if nodes[n].exactFilter[k >> 6] & (1 << UInt64(k & 63)) != 0, let x = nodes[n].exact[t] { out.append(x) }
        }
        let hasPrefix = !nodes[n].prefixLens.isEmpty
        let hasSuffix = !nodes[n].suffixLens.isEmpty
        guard hasPrefix || hasSuffix else { return }
        let u = t.utf8
        let count = u.count
        if hasPrefix && count >= 2 {
            let k = PhraseTrie.key2(u[u.startIndex], u[u.index(after: u.startIndex)])
            if nodes[n].prefixFilter[k >> 6] & (1 << UInt64(k & 63)) != 0 {
                for len in nodes[n].prefixLens where len <= count {
                    if len <= 7 {
                        if let x = nodes[n].prefixPacked[PhraseTrie.pack(u, from: 0, len: len)] { out.append(x) }
                    } else {
                        let key = len == count ? t : (String(u.prefix(len)) ?? "")
                        if let x = nodes[n].prefix[key] { out.append(x) }
                    }
                }
            }
        }
        if hasSuffix && count >= 3 {
            let last = u[u.index(before: u.endIndex)]
            let prev = u[u.index(u.endIndex, offsetBy: -2)]
            let k = PhraseTrie.key2(prev, last)
            if nodes[n].suffixFilter[k >> 6] & (1 << UInt64(k & 63)) != 0 {
                for len in nodes[n].suffixLens where len < count {
                    if len <= 7 {
                        if let x = nodes[n].suffixPacked[PhraseTrie.pack(u, from: count - len, len: len)] { out.append(x) }
                    } else if let key = String(u.suffix(len)), let x = nodes[n].suffix[key] { out.append(x) }
                }
            }
        }
    }

    /// Calls `emit(startToken, endToken (exclusive), payloadIndex)` for every phrase occurrence.
    func scan(_ tokens: [Token], emit: (Int, Int, Int32) -> Void) {
        var frontier: [Int32] = []
        var next: [Int32] = []
        frontier.reserveCapacity(4)
        next.reserveCapacity(4)
        for i in 0..<tokens.count {
            if !frontier.isEmpty { frontier.removeAll(keepingCapacity: true) }
            step(0, tokens[i].text, &frontier)
            var j = i
            while !frontier.isEmpty {
                for nd in frontier {
                    if !nodes[Int(nd)].payload.isEmpty { for p in nodes[Int(nd)].payload { emit(i, j + 1, p) } }
                }
                j += 1
                if j >= tokens.count || j - i > 8 { break }
                if !next.isEmpty { next.removeAll(keepingCapacity: true) }
                for nd in frontier { step(nd, tokens[j].text, &next) }
                swap(&frontier, &next)
            }
        }
    }

    /// Exact single-token lookup at the root (used by the obfuscation channel).
    func singleToken(_ t: String) -> [Int32] {
        var out: [Int32] = []
        step(0, t, &out)
        var ps: [Int32] = []
        for nd in out { ps.append(contentsOf: nodes[Int(nd)].payload) }
        return ps
    }
}
