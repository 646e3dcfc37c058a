/// Text from input files is untrusted: every control, bidi and zero-width character is
/// printed as a visible `\u{X}` instead of reaching the terminal.
enum Sanitize {
    static func line(_ s: String) -> String {
        var out = String.UnicodeScalarView()
        for u in s.unicodeScalars {
            switch u.value {
            case 0..<0x20, 0x7F..<0xA0, 0x200B...0x200F, 0x202A...0x202E, 0x2066...0x2069, 0xFEFF:
                out.append(contentsOf: String(format: "\\u{%X}", u.value).unicodeScalars)
            default:
                out.append(u)
            }
        }
        return String(out)
    }
}
