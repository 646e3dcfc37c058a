import Foundation

extension Classification {
    /// The classification as compact JSON, in the shape `Codable` reads back.
    ///
    /// Written by hand because Foundation's `JSONEncoder` took two thirds of ingest's write
    /// time; a test checks the two agree.
    public var json: String {
        var out = "{\"language\":"
        out.appendJSONString(language)
        out += ",\"sentiment\":\"\(sentiment.rawValue)\",\"flags\":["
        for (i, f) in flags.enumerated() {
            if i > 0 { out += "," }
            out += "{\"flag\":\"\(f.flag.rawValue)\",\"decision\":\"\(f.decision.rawValue)\",\"score\":\(f.score.jsonNumber)"
            if let s = f.severity { out += ",\"severity\":"; out.appendJSONString(s) }
            if let c = f.category { out += ",\"category\":"; out.appendJSONString(c) }
            out += ",\"evidence\":["
            for (j, e) in f.evidence.enumerated() {
                if j > 0 { out += "," }
                out += "{\"rule\":"
                out.appendJSONString(e.rule)
                out += ",\"file\":"
                out.appendJSONString(e.file)
                out += ",\"span\":[\(e.span.map(String.init).joined(separator: ","))],\"text\":"
                out.appendJSONString(e.text)
                out += ",\"modifiers\":["
                for (k, m) in e.modifiers.enumerated() {
                    if k > 0 { out += "," }
                    out.appendJSONString(m)
                }
                out += "],\"contribution\":\(e.contribution.jsonNumber)}"
            }
            out += "]}"
        }
        out += "]"
        if let t = template { out += ",\"template\":"; out.appendJSONString(t) }
        return out + "}"
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
        // Bytes C2, E2 and EF lead every multi-byte scalar escaped below.
        if !s.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C || $0 == 0x7F || $0 == 0xC2 || $0 == 0xE2 || $0 == 0xEF }) {
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

    /// `s` as a JSON string literal (see `appendJSONString`).
    public static func jsonQuoted(_ s: String) -> String {
        var out = ""
        out.appendJSONString(s)
        return out
    }
}
