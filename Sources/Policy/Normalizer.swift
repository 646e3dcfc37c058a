import Foundation

/// A normalised working copy of a text with a map back to the original's Unicode scalars.
///
/// Normalisation: NFKC, format characters (Cf) and variation selectors dropped, lowercase,
/// confusable Cyrillic/Greek letters mapped to ASCII, accents folded except `ñ`.
public struct NormalizedText: Sendable {
    /// The original text's scalars.
    public let original: [Unicode.Scalar]
    /// Normalised scalars (as code points).
    public let scalars: [UInt32]
    /// For each normalised scalar, the index of the original scalar it came from.
    public let map: [Int32]
    /// Normalised indices where a word written in camel case starts a new word ("myselfI", "endIt").
    public let caseBreaks: [Int32]

    public init(_ text: String) {
        let orig = NormalizedText.decode(text)
        // One pass: normalise each scalar and note camel-case breaks at the first scalar it
        // produces (a second pass over `map` re-read every scalar).
        var w = NormalizedWriter(capacity: orig.count + 16)
        var breaks: [Int32] = []
        var prevLower = false
        let table = Normalizer.mappings  // hoisted: a global read costs a `swift_once` check per scalar
        let cases = Normalizer.cases
        orig.withUnsafeBufferPointer { orig in
            for i in 0..<orig.count {
                let s = orig[i]
                let v = s.value
                if v < 0x80 {
                    let isUpper = v >= 0x41 && v <= 0x5A
                    if isUpper && prevLower { breaks.append(Int32(w.count)) }
                    prevLower = v >= 0x61 && v <= 0x7A
                    w.emit(isUpper ? v + 32 : (v == 0 ? 0x20 : v), from: i)
                    continue
                }
                let first = w.count
                // Combining tilde after n -> ñ; other combining marks are dropped (accent folding).
                if v == 0x303, first > 0, w.last == 0x6E {
                    w.replaceLast(with: 0xF1)
                    continue
                }
                if let mapped = table[v] {
                    for m in mapped { w.emit(m, from: i) }
                } else if Normalizer.isDropped(s) {
                    continue
                } else if s.properties.changesWhenLowercased {
                    for m in s.properties.lowercaseMapping.unicodeScalars { w.emit(m.value, from: i) }
                } else {
                    w.emit(v, from: i)
                }
                guard w.count > first else { continue }
                let c = cases[v]
                if c & 1 != 0 && prevLower { breaks.append(Int32(first)) }
                prevLower = c & 2 != 0
            }
        }
        (self.scalars, self.map) = w.finish()
        self.original = orig
        self.caseBreaks = breaks
    }

    /// The scalars of `text`, decoded straight from its UTF-8 storage into the array's memory
    /// (appending checked uniqueness and capacity per scalar).
    private static func decode(_ text: String) -> [Unicode.Scalar] {
        let decoded: [Unicode.Scalar]? = text.utf8.withContiguousStorageIfAvailable { b in
            // String storage is valid UTF-8: at most one scalar per byte
            [Unicode.Scalar](unsafeUninitializedCapacity: b.count) { out, count in
                let n = b.count
                var i = 0, k = 0
                while i < n {
                    // ASCII runs (most text) eight bytes at a time
                    if i + 8 <= n, UnsafeRawPointer(b.baseAddress! + i).loadUnaligned(as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                        for q in 0..<8 { (out.baseAddress! + k + q).initialize(to: Unicode.Scalar(b[i + q])) }
                        i += 8
                        k += 8
                        continue
                    }
                    let c0 = UInt32(b[i])
                    var v: UInt32
                    if c0 < 0x80 { v = c0; i += 1 }
                    else if c0 < 0xE0 { v = (c0 & 0x1F) << 6 | UInt32(b[i + 1] & 0x3F); i += 2 }
                    else if c0 < 0xF0 { v = (c0 & 0x0F) << 12 | UInt32(b[i + 1] & 0x3F) << 6 | UInt32(b[i + 2] & 0x3F); i += 3 }
                    else { v = (c0 & 0x07) << 18 | UInt32(b[i + 1] & 0x3F) << 12 | UInt32(b[i + 2] & 0x3F) << 6 | UInt32(b[i + 3] & 0x3F); i += 4 }
                    (out.baseAddress! + k).initialize(to: Unicode.Scalar(v) ?? "\u{FFFD}")
                    k += 1
                }
                count = k
            }
        }
        return decoded ?? Array(text.unicodeScalars)
    }

    /// Original-scalar span `[start, end)` for normalised range `[a, b)`.
    public func originalSpan(_ a: Int, _ b: Int) -> (Int, Int) {
        guard a < b, a < map.count else {
            let p = a < map.count ? Int(map[a]) : original.count
            return (p, p)
        }
        let s = Int(map[a])
        let e = Int(map[min(b, map.count) - 1]) + 1
        return (s, max(s, e))
    }

    public func originalText(_ s: Int, _ e: Int) -> String {
        guard s < e, s >= 0, e <= original.count else { return "" }
        var size = 0
        for u in original[s..<e] { size += UTF8.width(u) }
        // written straight into the string's storage (no intermediate byte array)
        return String(unsafeUninitializedCapacity: size) { out in
            var k = 0
            for u in original[s..<e] {
                let c = u.value
                if c < 0x80 { out[k] = UInt8(c); k += 1 }
                else if c < 0x800 { out[k] = UInt8(0xC0 | (c >> 6)); out[k + 1] = UInt8(0x80 | (c & 0x3F)); k += 2 }
                else if c < 0x10000 { out[k] = UInt8(0xE0 | (c >> 12)); out[k + 1] = UInt8(0x80 | ((c >> 6) & 0x3F)); out[k + 2] = UInt8(0x80 | (c & 0x3F)); k += 3 }
                else { out[k] = UInt8(0xF0 | (c >> 18)); out[k + 1] = UInt8(0x80 | ((c >> 12) & 0x3F)); out[k + 2] = UInt8(0x80 | ((c >> 6) & 0x3F)); out[k + 3] = UInt8(0x80 | (c & 0x3F)); k += 4 }
            }
            return k
        }
    }

    public var normalizedString: String {
        var str = String()
        for v in scalars { if let u = Unicode.Scalar(v) { str.unicodeScalars.append(u) } }
        return str
    }
}

/// The normalised scalars and their origins, written through pointers (`Array.append` checked
/// uniqueness and capacity for every scalar, twice), copied into arrays once at the end.
private struct NormalizedWriter {
    private var out: UnsafeMutablePointer<UInt32>
    private var map: UnsafeMutablePointer<Int32>
    private var capacity: Int
    private(set) var count = 0

    init(capacity: Int) {
        self.capacity = max(capacity, 16)
        out = .allocate(capacity: self.capacity)
        map = .allocate(capacity: self.capacity)
    }

    var last: UInt32 { out[count - 1] }
    mutating func replaceLast(with v: UInt32) { out[count - 1] = v }

    @inline(__always) mutating func emit(_ v: UInt32, from origin: Int) {
        if count == capacity { grow() }
        out[count] = v
        map[count] = Int32(origin)
        count += 1
    }

    /// Mappings that expand (ligatures, "ß") can outgrow the first guess.
    private mutating func grow() {
        let bigger = capacity * 2
        let o = UnsafeMutablePointer<UInt32>.allocate(capacity: bigger)
        let m = UnsafeMutablePointer<Int32>.allocate(capacity: bigger)
        o.update(from: out, count: count)
        m.update(from: map, count: count)
        out.deallocate()
        map.deallocate()
        (out, map, capacity) = (o, m, bigger)
    }

    /// The arrays (the writer's memory is freed).
    consuming func finish() -> ([UInt32], [Int32]) {
        let r = (Array(UnsafeBufferPointer(start: out, count: count)), Array(UnsafeBufferPointer(start: map, count: count)))
        out.deallocate()
        map.deallocate()
        return r
    }
}

/// Uppercase (bit 1) and Lowercase (bit 2) of the scalars that can be cased for camel-case
/// breaks, from tables computed once (a Unicode property lookup costs ~300 instructions).
/// Other scalars count as neither, as before.
struct CaseTable: Sendable {
    private let below2C00: [UInt8]
    private let fullwidth: [UInt8]  // U+FF00...U+FF5A
    private let math: [UInt8]       // U+1D400...U+1D7FF

    init() {
        func bits(_ r: Range<UInt32>) -> [UInt8] {
            r.map { v in
                guard let sc = Unicode.Scalar(v) else { return 0 }
                return (sc.properties.isUppercase ? 1 : 0) | (sc.properties.isLowercase ? 2 : 0)
            }
        }
        below2C00 = bits(0..<0x2C00)
        fullwidth = bits(0xFF00..<0xFF5B)
        math = bits(0x1D400..<0x1D800)
    }

    @inline(__always) subscript(_ v: UInt32) -> UInt8 {
        if v < 0x2C00 { return below2C00[Int(v)] }
        if v >= 0xFF00 && v <= 0xFF5A { return fullwidth[Int(v - 0xFF00)] }
        if v >= 0x1D400 && v <= 0x1D7FF { return math[Int(v - 0x1D400)] }
        return 0
    }
}

/// `Normalizer.table` by index for the scalars texts use most (a dictionary lookup hashed every
/// non-ASCII scalar), the dictionary for the rest. In the emoji blocks, a scalar that the table
/// leaves out and that passes through unchanged (not dropped, no lowercase mapping) maps to
/// itself: the same output, without the two Unicode property lookups per emoji.
struct MappingTable: Sendable {
    private static let lowEnd: UInt32 = 0x3000
    private static let fullwidth: Range<UInt32> = 0xFF00..<0xFFF0
    private static let emoji: Range<UInt32> = 0x1F000..<0x1FB00
    private let low: [[UInt32]?]
    private let fullwidth: [[UInt32]?]
    private let emoji: [[UInt32]?]
    private let rest: [UInt32: [UInt32]]

    init(_ table: [UInt32: [UInt32]]) {
        rest = table
        low = (0..<MappingTable.lowEnd).map { table[$0] }
        fullwidth = MappingTable.fullwidth.map { table[$0] }
        emoji = MappingTable.emoji.map { v in
            if let m = table[v] { return m }
            guard let s = Unicode.Scalar(v), !Normalizer.isDropped(s), !s.properties.changesWhenLowercased else { return nil }
            return [v]
        }
    }

    @inline(__always) subscript(_ v: UInt32) -> [UInt32]? {
        if v < MappingTable.lowEnd { return low[Int(v)] }
        if MappingTable.fullwidth.contains(v) { return fullwidth[Int(v - MappingTable.fullwidth.lowerBound)] }
        if MappingTable.emoji.contains(v) { return emoji[Int(v - MappingTable.emoji.lowerBound)] }
        return rest[v]
    }
}

enum Normalizer {
    static let cases = CaseTable()
    static let mappings = MappingTable(table)

    static func isDropped(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        if (0xFE00...0xFE0F).contains(v) || (0xE0100...0xE01EF).contains(v) { return true }
        if (0x1F3FB...0x1F3FF).contains(v) { return true }  // skin tone modifiers
        switch s.properties.generalCategory {
        case .format, .nonspacingMark, .enclosingMark, .control: return true
        default: return false
        }
    }

    static let confusables: [UInt32: UInt32] = {
        var m: [UInt32: UInt32] = [:]
        let pairs: [(String, String)] = [
            // Cyrillic
            ("а", "a"), ("е", "e"), ("о", "o"), ("р", "p"), ("с", "c"), ("у", "y"), ("х", "x"),
            ("і", "i"), ("ѕ", "s"), ("ј", "j"), ("к", "k"), ("м", "m"), ("т", "t"), ("в", "b"),
            ("н", "h"), ("ԁ", "d"), ("ɡ", "g"), ("ӏ", "l"), ("ո", "n"), ("ս", "u"),
            // Greek
            ("ο", "o"), ("υ", "u"), ("ν", "v"), ("ι", "i"), ("α", "a"), ("ε", "e"), ("κ", "k"),
            ("ρ", "p"), ("τ", "t"), ("χ", "x"), ("β", "b"), ("η", "n"), ("μ", "u"), ("ς", "c"),
            ("γ", "y"), ("ω", "w"),
            // Latin look-alikes
            ("ı", "i"), ("ł", "l"), ("ø", "o"), ("đ", "d"), ("ß", "ss"), ("æ", "ae"), ("œ", "oe"),
            ("ð", "d"), ("þ", "th"),
        ]
        for (a, b) in pairs {
            if b.unicodeScalars.count == 1 { m[a.unicodeScalars.first!.value] = b.unicodeScalars.first!.value }
        }
        return m
    }()

    /// Precomputed mapping for non-ASCII scalars in the ranges social text uses.
    static let table: [UInt32: [UInt32]] = {
        var t: [UInt32: [UInt32]] = [:]
        let ranges: [ClosedRange<UInt32>] = [
            0x80...0x24F, 0x370...0x3FF, 0x400...0x4FF, 0x531...0x58F, 0x1D00...0x1DBF, 0x1E00...0x1FFF,
            0x2000...0x206F, 0x2070...0x209F, 0x2100...0x215F, 0x2160...0x218F, 0x2460...0x24FF,
            0xFB00...0xFB06, 0xFF00...0xFFEF, 0x1D400...0x1D7FF, 0x1F100...0x1F1FF,
        ]
        let special: [UInt32: [UInt32]] = [
            0x2018: [0x27], 0x2019: [0x27], 0x02BC: [0x27], 0x00B4: [0x27], 0x2032: [0x27], 0x201B: [0x27],
            0x201C: [0x22], 0x201D: [0x22], 0x201E: [0x22], 0x00AB: [0x22], 0x00BB: [0x22],
            0x2010: [0x2D], 0x2011: [0x2D], 0x2012: [0x2D], 0x2013: [0x2D], 0x2014: [0x2D], 0x2212: [0x2D],
            0x00A0: [0x20], 0x2028: [0x0A], 0x2029: [0x0A], 0x3000: [0x20],
            0x00F1: [0xF1], 0x00D1: [0xF1], 0x00BF: [0xBF], 0x00A1: [0xA1],
        ]
        for r in ranges {
            for v in r {
                guard let s = Unicode.Scalar(v) else { continue }
                if let sp = special[v] { t[v] = sp; continue }
                if isDropped(s) { t[v] = []; continue }
                if (0x2000...0x200A).contains(v) || v == 0x202F || v == 0x205F { t[v] = [0x20]; continue }
                var str = String(s).precomposedStringWithCompatibilityMapping.lowercased()
                var out: [UInt32] = []
                // fold accents except ñ
                let parts = str.unicodeScalars.map { $0 }
                str = ""
                for p in parts {
                    if p.value == 0xF1 { out.append(0xF1); continue }
                    let dec = String(p).decomposedStringWithCanonicalMapping.unicodeScalars
                    var prevN = false
                    for d in dec {
                        if d.properties.generalCategory == .nonspacingMark {
                            if d.value == 0x303 && prevN { out[out.count - 1] = 0xF1 }
                            continue
                        }
                        prevN = d.value == 0x6E
                        out.append(confusables[d.value] ?? d.value)
                    }
                }
                if out.count == 1 && out[0] == v { continue }
                t[v] = out
            }
        }
        for (k, v) in confusables where t[k] == nil || t[k]! != [v] { t[k] = [v] }
        // capital confusables
        for (a, b) in [("А", "a"), ("Е", "e"), ("О", "o"), ("Р", "p"), ("С", "c"), ("Х", "x"), ("Т", "t"), ("К", "k"), ("М", "m"), ("Н", "h"), ("В", "b"), ("Ѕ", "s"), ("І", "i"), ("Ο", "o"), ("Α", "a"), ("Ε", "e"), ("Ι", "i"), ("Κ", "k"), ("Ρ", "p"), ("Τ", "t"), ("Χ", "x"), ("Β", "b"), ("Υ", "y"), ("Ν", "n"), ("Η", "h"), ("Μ", "m")] {
            t[a.unicodeScalars.first!.value] = [b.unicodeScalars.first!.value]
        }
        return t
    }()
}
