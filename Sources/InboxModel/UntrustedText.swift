/// Text from the internet is hostile. This is the one table of the characters that must not
/// reach a terminal, a log or an export raw, and the forms they take in each kind of output.
///
/// Unsafe: every C0 and C1 control (ESC, so every CSI/OSC/DCS sequence loses its introducer),
/// DEL, bidi overrides and isolates (Trojan Source), zero-width and other format characters,
/// soft hyphen, variation selectors, invisible fillers, line and paragraph separators,
/// surrogates, private-use and unassigned scalars. Line breaks and tabs are unsafe too; the
/// outputs that have structure for them (console paragraphs, quoted CSV cells, JSON escapes)
/// keep them as that structure.
public enum UntrustedText {
    /// Whether `s` may not be written raw. Inlinable: the console asks for every scalar it draws.
    @inlinable
    public static func isUnsafe(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        if v < 0x7F { return v < 0x20 }
        return isUnsafeBeyondASCII(v, s)
    }

    @usableFromInline
    static func isUnsafeBeyondASCII(_ v: UInt32, _ s: Unicode.Scalar) -> Bool {
        if v < 0xA0 || v == 0xAD { return true }  // DEL, C1, soft hyphen
        if (0xFE00...0xFE0F).contains(v) || (0xE0100...0xE01EF).contains(v) { return true }  // variation selectors
        if v == 0x034F || v == 0x115F || v == 0x1160 || v == 0x3164 || v == 0xFFA0 { return true }  // invisible fillers
        switch s.properties.generalCategory {
        case .control, .format, .unassigned, .surrogate, .lineSeparator, .paragraphSeparator, .privateUse: return true
        default: return false
        }
    }

    /// The visible stand-in for an unsafe scalar, or nil for a safe one: C0 controls and DEL as
    /// Unicode control pictures (`␛`, `␇`, `␡`), everything else as `<U+202E>`.
    @inlinable
    public static func placeholder(for s: Unicode.Scalar) -> String? {
        guard isUnsafe(s) else { return nil }
        return visiblePlaceholder(s)
    }

    @usableFromInline
    static func visiblePlaceholder(_ s: Unicode.Scalar) -> String {
        let v = s.value
        if v < 0x20 { return String(Character(Unicode.Scalar(0x2400 + v)!)) }
        if v == 0x7F { return "\u{2421}" }
        return code(v)
    }

    /// `<U+XXXX>` (at least four hex digits).
    public static func code(_ v: UInt32) -> String {
        let hex = String(v, radix: 16, uppercase: true)
        return "<U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex + ">"
    }

    /// `text` for one line of terminal or log output: every unsafe scalar, line breaks
    /// included, shown as its placeholder.
    public static func line(_ text: String) -> String {
        if isPlainASCII(text) { return text }
        var out = String.UnicodeScalarView()
        for u in text.unicodeScalars {
            if let p = placeholder(for: u) { out.append(contentsOf: p.unicodeScalars) } else { out.append(u) }
        }
        return String(out)
    }

    /// `text` for an HTML page: placeholders as in `line`, then `& < > " '` escaped.
    public static func html(_ text: String) -> String {
        var out = ""
        for u in line(text).unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(u)
            }
        }
        return out
    }

    /// JSON text from an encoder that leaves unsafe scalars raw (Foundation's `JSONEncoder`
    /// leaves C1, bidi and zero-width characters): each written as a `\uXXXX` escape. Outside
    /// strings JSON holds only ASCII, so they can only be inside one: the JSON stays valid and
    /// means the same. Line breaks between tokens stay.
    public static func json(_ encoded: String) -> String {
        if isPlainASCII(encoded) { return encoded }
        var out = ""
        for u in encoded.unicodeScalars {
            if u == "\n" || u == "\r" || u == "\t" || !isUnsafe(u) { out.unicodeScalars.append(u); continue }
            out.appendUnicodeEscape(u)
        }
        return out
    }

    /// Printable ASCII only (no controls): nothing to replace in any output.
    @inline(__always)
    static func isPlainASCII(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            for b in bytes where b < 0x20 || b >= 0x7F { return false }
            return true
        }
    }
}

extension String {
    /// Appends `s` as a JSON string literal: quotes and backslashes escaped, and every scalar
    /// `UntrustedText` calls unsafe written as a `\uXXXX` escape (a surrogate pair above the
    /// BMP), so the JSON is the same value and safe to show or export.
    public mutating func appendJSONString(_ s: String) {
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
            default:
                if UntrustedText.isUnsafe(u) { appendUnicodeEscape(u) } else { unicodeScalars.append(u) }
            }
        }
        append("\"")
    }

    /// `\uXXXX`, or a surrogate pair of them above the BMP.
    mutating func appendUnicodeEscape(_ u: Unicode.Scalar) {
        if u.value > 0xFFFF {
            let v = u.value - 0x10000
            appendUTF16Escape(0xD800 + (v >> 10))
            appendUTF16Escape(0xDC00 + (v & 0x3FF))
        } else {
            appendUTF16Escape(u.value)
        }
    }

    private mutating func appendUTF16Escape(_ unit: UInt32) {
        let hex = String(unit, radix: 16)
        append("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
    }

    /// True when some byte of `s` may need an escape: a control, a quote, a backslash, DEL or
    /// any non-ASCII byte (which may start an unsafe scalar). A loop over the contiguous bytes:
    /// the generic `utf8.contains(where:)` cost 35 instructions a byte.
    static func mayNeedJSONEscape(_ s: String) -> Bool {
        var s = s
        return s.withUTF8 { bytes in
            for b in bytes where b < 0x20 || b == 0x22 || b == 0x5C || b >= 0x7F { return true }
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
