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
        var orig: [Unicode.Scalar] = []
        orig.reserveCapacity(text.utf8.count)
        let decoded: Bool? = text.utf8.withContiguousStorageIfAvailable { b in
            // String storage is valid UTF-8: decode it directly (the generic append is slower)
            let n = b.count
            var i = 0
            while i < n {
                let c0 = UInt32(b[i])
                var v: UInt32
                if c0 < 0x80 { v = c0; i += 1 }
                else if c0 < 0xE0 { v = (c0 & 0x1F) << 6 | UInt32(b[i + 1] & 0x3F); i += 2 }
                else if c0 < 0xF0 { v = (c0 & 0x0F) << 12 | UInt32(b[i + 1] & 0x3F) << 6 | UInt32(b[i + 2] & 0x3F); i += 3 }
                else { v = (c0 & 0x07) << 18 | UInt32(b[i + 1] & 0x3F) << 12 | UInt32(b[i + 2] & 0x3F) << 6 | UInt32(b[i + 3] & 0x3F); i += 4 }
                orig.append(Unicode.Scalar(v) ?? "\u{FFFD}")
            }
            return true
        }
        if decoded == nil { orig.append(contentsOf: text.unicodeScalars) }
        var out: [UInt32] = []
        out.reserveCapacity(orig.count)
        var map: [Int32] = []
        map.reserveCapacity(orig.count)
        for (i, s) in orig.enumerated() {
            let v = s.value
            if v < 0x80 {
                if v >= 0x41 && v <= 0x5A { out.append(v + 32) } else if v == 0 { out.append(0x20) } else { out.append(v) }
                map.append(Int32(i))
                continue
            }
            // Combining tilde after n -> ñ; other combining marks are dropped (accent folding).
            if v == 0x303, let last = out.last, last == 0x6E {
                out[out.count - 1] = 0xF1
                continue
            }
            if let mapped = Normalizer.table[v] {
                for m in mapped { out.append(m); map.append(Int32(i)) }
                continue
            }
            if Normalizer.isDropped(s) { continue }
            if s.properties.changesWhenLowercased {
                for m in s.properties.lowercaseMapping.unicodeScalars { out.append(m.value); map.append(Int32(i)) }
            } else {
                out.append(v); map.append(Int32(i))
            }
        }
        var breaks: [Int32] = []
        var prevLower = false
        var oi = -1
        for (ni, o) in map.enumerated() where Int(o) != oi {
            oi = Int(o)
            let sc = orig[oi]
            let v = sc.value
            let cased = v < 0x2C00 || (0xFF00...0xFF5A).contains(v) || (0x1D400...0x1D7FF).contains(v)
            let isUpper: Bool, isLower: Bool
            if v < 0x80 {
                isUpper = v >= 0x41 && v <= 0x5A
                isLower = v >= 0x61 && v <= 0x7A
            } else if v < 0x2C00 {
                // same properties, from a table computed once
                let c = Normalizer.caseBits[Int(v)]
                isUpper = c & 1 != 0
                isLower = c & 2 != 0
            } else {
                isUpper = cased && sc.properties.isUppercase
                isLower = cased && sc.properties.isLowercase
            }
            if isUpper && prevLower { breaks.append(Int32(ni)) }
            prevLower = isLower
        }
        self.original = orig
        self.scalars = out
        self.map = map
        self.caseBreaks = breaks
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

enum Normalizer {
    /// For scalars below U+2C00: bit 1 Uppercase, bit 2 Lowercase (Unicode properties).
    static let caseBits: [UInt8] = (0..<0x2C00).map { (v: Int) -> UInt8 in
        guard let sc = Unicode.Scalar(UInt32(v)) else { return 0 }
        return (sc.properties.isUppercase ? 1 : 0) | (sc.properties.isLowercase ? 2 : 0)
    }

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
