/// Text from input files is untrusted: every control, bidi and zero-width character is
/// printed as a visible `\u{X}` instead of reaching the terminal.
enum Sanitize {
    static func line(_ s: String) -> String {
        var out = String.UnicodeScalarView()
        for u in s.unicodeScalars {
            switch u.value {
            case 0..<0x20, 0x7F..<0xA0, 0x200B...0x200F, 0x2028...0x202E, 0x2060...0x2064, 0x2066...0x2069, 0xFEFF:
                out.append(contentsOf: String(format: "\\u{%X}", u.value).unicodeScalars)
            default:
                out.append(u)
            }
        }
        return String(out)
    }

    /// JSON text (from `JSONEncoder`, which leaves C1 controls, bidi controls and zero-width
    /// characters raw) with those scalars written as `\uXXXX` escapes: the same JSON value,
    /// safe to print on a terminal. They can only occur inside strings, so this keeps it valid.
    static func json(_ s: String) -> String {
        var out = String.UnicodeScalarView()
        for u in s.unicodeScalars {
            switch u.value {
            case 0x7F..<0xA0, 0x200B...0x200F, 0x2028...0x202E, 0x2060...0x2064, 0x2066...0x2069, 0xFEFF:
                out.append(contentsOf: String(format: "\\u%04x", u.value).unicodeScalars)
            default:
                out.append(u)
            }
        }
        return String(out)
    }
}
