import Foundation

/// One word (or emoji) of the normalised text.
public struct Token: Sendable {
    public var text: String
    /// `[start, end)` in normalised scalars.
    public var start: Int32
    public var end: Int32
    public var sentence: Int32
    public var isEmoji: Bool
    /// The word packed for the matcher's tables (`.none` when longer than 15 bytes).
    var key: WordKey = .none
    /// Where the word's UTF-8 lies in `Tokenized.bytes`.
    var byteStart: Int32 = 0
    var byteCount: Int32 = 0
}

struct Tokenized: Sendable {
    var tokens: [Token] = []
    /// Every token's UTF-8, one after the other (see `Token.byteStart`).
    var bytes: [UInt8] = []
    /// Sentences (by index, ascending) that contain a `?` or `¿`.
    var questionSentences: [Int32] = []
    var exclamations = 0
    var sentenceCount: Int32 = 0
}

@inline(__always) func isWordScalar(_ v: UInt32) -> Bool {
    if v < 0x80 {
        return (v >= 0x61 && v <= 0x7A) || (v >= 0x30 && v <= 0x39)
    }
    if v == 0xF1 { return true }
    if v >= 0x2000 {
        if v >= 0x3040 && v < 0xFE00 { return true }
        // the emoji planes never are, whatever the property says: no lookup for them
        if (0x1F000...0x1FFFF).contains(v) { return false }
        // fullwidth letters ("ｆｕｃｋ") from a table
        if v >= 0xFF00 && v < 0xFFF0 { return WordScalars.fullwidth[Int(v - 0xFF00)] }
        return Unicode.Scalar(v)?.properties.isAlphabetic ?? false
    }
    return WordScalars.below2000[Int(v)]
}

/// `Unicode.Scalar.Properties.isAlphabetic` for the ranges tokens use most, computed once
/// (a property lookup costs ~300 instructions per scalar).
enum WordScalars {
    static let below2000: [Bool] = alphabetic(0..<0x2000)
    static let fullwidth: [Bool] = alphabetic(0xFF00..<0xFFF0)
    private static func alphabetic(_ r: Range<UInt32>) -> [Bool] {
        r.map { Unicode.Scalar($0)?.properties.isAlphabetic ?? false }
    }
}

@inline(__always) func isEmojiScalar(_ v: UInt32) -> Bool {
    if v < 0x2190 { return v == 0xA9 || v == 0xAE }
    if (0x1F000...0x1FAFF).contains(v) { return true }
    if (0x2600...0x27BF).contains(v) || (0x2B00...0x2BFF).contains(v) || (0x2190...0x21FF).contains(v) { return true }
    return false
}

private let abbreviations: Set<String> = ["dr", "mr", "mrs", "ms", "st", "sr", "sra", "dra", "jr", "vs", "etc", "apt", "no", "dept", "u", "ul", "av", "ave", "str", "ste", "blvd", "rd", "ln", "dpto", "nr", "ca", "approx", "e.g", "i.e"]
/// `abbreviations` by packed word: a full stop after a word looks it up without hashing the
/// word's `String` (every abbreviation fits a key; a longer word cannot be one).
private let abbreviationKeys: WordTable = {
    var t = WordTable(capacity: abbreviations.count)
    for w in abbreviations { t.set(WordKey(w)!, 1) }
    return t
}()

/// The `String` of each recent short word by its packed key, so that a long text, which repeats
/// its words, builds (validates, copies) each word's `String` once instead of once per token.
/// Words of up to 15 bytes are small strings: a copy from the cache allocates nothing.
private struct WordStringCache {
    private var keys: [WordKey]
    private var strings: [String]
    private let mask: Int

    init(size: Int) {
        keys = Array(repeating: .none, count: size)
        strings = Array(repeating: "", count: size)
        mask = size - 1
    }

    /// The word `b[from...]` with packed `key` (not `.none`).
    @inline(__always) mutating func string(_ key: WordKey, _ b: UnsafeBufferPointer<UInt8>, from: Int) -> String {
        let h = (key.lo &* 0x9E37_79B9_7F4A_7C15) ^ (key.hi &* 0xC2B2_AE3D_27D4_EB4F)
        let slot = Int(truncatingIfNeeded: (h ^ (h >> 29)) & UInt64(mask))
        if keys[slot] == key { return strings[slot] }
        let s = String(decoding: UnsafeBufferPointer(rebasing: b[from...]), as: UTF8.self)
        keys[slot] = key
        strings[slot] = s
        return s
    }
}

/// Writes the UTF-8 of one scalar value at `p[k]`; returns the index after it.
@inline(__always) func writeUTF8(_ c: UInt32, to p: UnsafeMutablePointer<UInt8>, at k: Int) -> Int {
    if c < 0x80 { p[k] = UInt8(c); return k + 1 }
    if c < 0x800 { p[k] = UInt8(0xC0 | (c >> 6)); p[k + 1] = UInt8(0x80 | (c & 0x3F)); return k + 2 }
    if c < 0x10000 { p[k] = UInt8(0xE0 | (c >> 12)); p[k + 1] = UInt8(0x80 | ((c >> 6) & 0x3F)); p[k + 2] = UInt8(0x80 | (c & 0x3F)); return k + 3 }
    p[k] = UInt8(0xF0 | (c >> 18)); p[k + 1] = UInt8(0x80 | ((c >> 12) & 0x3F)); p[k + 2] = UInt8(0x80 | ((c >> 6) & 0x3F)); p[k + 3] = UInt8(0x80 | (c & 0x3F))
    return k + 4
}

func tokenize(_ s: [UInt32], breaks: [Int32] = []) -> Tokenized {
    var bp = 0
    var r = Tokenized()
    r.tokens.reserveCapacity(s.count / 4 + 1)
    // The words' UTF-8 goes through a pointer into a buffer big enough for any text (at most
    // four bytes per scalar): `append` per byte checked uniqueness and capacity. Copied once.
    let bytes = UnsafeMutablePointer<UInt8>.allocate(capacity: 4 * s.count + 4)
    defer { bytes.deallocate() }
    var used = 0
    var i = 0
    let n = s.count
    var sentence: Int32 = 0
    // only texts long enough to repeat words pay for the cache's tables
    var cache: WordStringCache? = n >= 4096 ? WordStringCache(size: 2048) : nil
    // the scalars through a buffer pointer: each read of the array checked its bounds
    s.withUnsafeBufferPointer { s in
        while i < n {
            let v = s[i]
            if isWordScalar(v) {
                let start = i
                let at = used
                while bp < breaks.count && Int(breaks[bp]) <= i { bp += 1 }
                let nextBreak = bp < breaks.count ? Int(breaks[bp]) : Int.max
                while i < n {
                    let c = s[i]
                    if i == nextBreak && i > start { break }
                    if isWordScalar(c) {
                        used = writeUTF8(c, to: bytes, at: used)
                        i += 1
                    } else if c == 0x27, i + 1 < n, isWordScalar(s[i + 1]) {
                        // possessive 's ends the word; other apostrophes are skipped ("don't" -> "dont")
                        if s[i + 1] == 0x73 && (i + 2 >= n || !isWordScalar(s[i + 2])) {
                            i += 2
                            break
                        }
                        i += 1
                    } else {
                        break
                    }
                }
                r.tokens.append(word(UnsafeBufferPointer(start: bytes, count: used), from: at, start: start, end: i, sentence: sentence, isEmoji: false, cache: &cache))
                continue
            }
            if isEmojiScalar(v) {
                let at = used
                used = writeUTF8(v, to: bytes, at: used)
                r.tokens.append(word(UnsafeBufferPointer(start: bytes, count: used), from: at, start: i, end: i + 1, sentence: sentence, isEmoji: true, cache: &cache))
                i += 1
                continue
            }
            switch v {
            case 0x3F, 0xBF:  // ? ¿
                if r.questionSentences.last != sentence { r.questionSentences.append(sentence) }
                if v == 0x3F { sentence += 1 }
            case 0x21:
                r.exclamations += 1
                sentence += 1
            case 0x0A, 0x3B:
                sentence += 1
            case 0x2E:
                let prev = r.tokens.last
                let nextDigit = i + 1 < n && s[i + 1] >= 0x30 && s[i + 1] <= 0x39
                // the position test first: it spares hashing the word for most full stops
                if !nextDigit, !(prev.map { $0.end == Int32(i) && abbreviationKeys.find($0.key) != nil } ?? false) {
                    sentence += 1
                }
            default: break
            }
            i += 1
        }
    }
    r.sentenceCount = sentence + 1
    r.bytes = Array(UnsafeBufferPointer(start: bytes, count: used))
    return r
}

/// The token whose UTF-8 is `bytes[at...]`.
@inline(__always) private func word(_ b: UnsafeBufferPointer<UInt8>, from at: Int, start: Int, end: Int, sentence: Int32, isEmoji: Bool,
                                     cache: inout WordStringCache?) -> Token {
    let count = b.count - at
    let key = count <= WordKey.maxBytes ? WordKey(b, from: at, len: count) : .none
    let text = !key.isNone && cache != nil ? cache!.string(key, b, from: at)
        : String(decoding: UnsafeBufferPointer(rebasing: b[at...]), as: UTF8.self)
    return Token(text: text, start: Int32(start), end: Int32(end),
                 sentence: sentence, isEmoji: isEmoji, key: key, byteStart: Int32(at), byteCount: Int32(count))
}

/// Tokenise a policy term the same way messages are tokenised.
func termTokens(_ term: String) -> [String] {
    let norm = NormalizedText(term)
    return tokenize(norm.scalars).tokens.map(\.text)
}
