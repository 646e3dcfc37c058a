import Foundation

extension Classification {
    /// The classification as compact JSON, in the shape `Codable` reads back.
    ///
    /// Written by hand into bytes because Foundation's `JSONEncoder` took two thirds of
    /// ingest's write time, and String appends still a fifth of classification's; a test
    /// checks the output against `Codable`.
    public var json: String {
        var w = JSONBytes()
        w.raw("{\"language\":"); w.string(language)
        w.raw(",\"sentiment\":\""); w.plain(sentiment.rawValue); w.raw("\",\"flags\":[")
        for (i, f) in flags.enumerated() {
            if i > 0 { w.raw(",") }
            w.raw("{\"flag\":\""); w.plain(f.flag.rawValue)
            w.raw("\",\"decision\":\""); w.plain(f.decision.rawValue)
            w.raw("\",\"score\":"); w.number(f.score)
            if let s = f.severity { w.raw(",\"severity\":"); w.string(s) }
            if let c = f.category { w.raw(",\"category\":"); w.string(c) }
            w.raw(",\"evidence\":[")
            for (j, e) in f.evidence.enumerated() {
                if j > 0 { w.raw(",") }
                w.raw("{\"rule\":"); w.string(e.rule)
                w.raw(",\"file\":"); w.string(e.file)
                w.raw(",\"span\":[")
                for (k, v) in e.span.enumerated() {
                    if k > 0 { w.raw(",") }
                    w.int(v)
                }
                w.raw("],\"text\":"); w.string(e.text)
                w.raw(",\"modifiers\":[")
                for (k, m) in e.modifiers.enumerated() {
                    if k > 0 { w.raw(",") }
                    w.string(m)
                }
                w.raw("],\"contribution\":"); w.number(e.contribution); w.raw("}")
            }
            w.raw("]}")
        }
        w.raw("]")
        if let t = template { w.raw(",\"template\":"); w.string(t) }
        w.raw("}")
        return w.text
    }
}

/// JSON written as UTF-8 bytes, turned into a String once at the end.
struct JSONBytes {
    private var bytes: [UInt8] = []

    init() { bytes.reserveCapacity(256) }

    var text: String { String(decoding: bytes, as: UTF8.self) }

    mutating func raw(_ s: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    /// Text known to need no escape (enum raw values).
    mutating func plain(_ s: String) { bytes.append(contentsOf: s.utf8) }

    mutating func number(_ d: Double) { bytes.append(contentsOf: d.jsonNumber.utf8) }

    mutating func int(_ v: Int) {
        if v < 0 { bytes.append(45) }
        var m = v.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = 0
        withUnsafeMutableBytes(of: &digits) { d in
            repeat { d[n] = UInt8(48 + m % 10); m /= 10; n += 1 } while m > 0
            for k in stride(from: n - 1, through: 0, by: -1) { bytes.append(d[k]) }
        }
    }

    /// A JSON string literal, escaped as `String.appendJSONString` escapes it.
    mutating func string(_ s: String) {
        if !String.mayNeedJSONEscape(s) {
            bytes.append(34)
            bytes.append(contentsOf: s.utf8)
            bytes.append(34)
            return
        }
        var escaped = ""
        escaped.appendJSONString(s)
        bytes.append(contentsOf: escaped.utf8)
    }
}

extension Double {
    /// A JSON number (JSON has no NaN or infinity: those become 0).
    var jsonNumber: String { isFinite ? "\(self)" : "0" }
}

extension String {
    /// Appends `s` as a JSON string literal. Escapes quotes, backslashes, every C0 and C1
    /// control, DEL, line and paragraph separators, bidi controls, zero-width characters and
    /// the byte-order mark, so the JSON can be shown or exported without acting on a terminal.
    public mutating func appendJSONString(_ s: String) {
        // Most strings (rule ids, file names, words) need no escape: append them whole.
        if !String.mayNeedJSONEscape(s) {
            append("\"")
            append(s)
            append("\"")
            return
        }
        append("\"")
        for u in s.unicodeScalars {
            switch u.value {
            case 0x22: append("\\\"")
            case 0x5C: append("\\\\")
            case 0x0A: append("\\n")
            case 0x0D: append("\\r")
            case 0x09: append("\\t")
            case 0..<0x20, 0x7F...0x9F, 0x200B...0x200F, 0x2028...0x202E, 0x2060, 0x2066...0x2069, 0xFEFF:
                let hex = String(u.value, radix: 16)
                append("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
            default: unicodeScalars.append(u)
            }
        }
        append("\"")
    }

    /// True for the bytes that may start something `appendJSONString` escapes. Bytes C2, E2
    /// and EF lead every multi-byte scalar it escapes.
    static func mayNeedJSONEscape(_ b: UInt8) -> Bool {
        b < 0x20 || b == 0x22 || b == 0x5C || b == 0x7F || b == 0xC2 || b == 0xE2 || b == 0xEF
    }

    /// True when some byte of `s` may need an escape. A loop over the contiguous bytes: the
    /// generic `utf8.contains(where:)` cost 35 instructions a byte, a third of encoding a
    /// classification.
    static func mayNeedJSONEscape(_ s: String) -> Bool {
        var s = s
        return s.withUTF8 { bytes in
            for b in bytes where mayNeedJSONEscape(b) { return true }
            return false
        }
    }

    /// `s` as a JSON string literal (see `appendJSONString`).
    public static func jsonQuoted(_ s: String) -> String {
        var out = ""
        out.appendJSONString(s)
        return out
    }
}
