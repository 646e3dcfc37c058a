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
