/// One terminal cell's worth of display text: a base scalar (plus its combining marks) or one
/// character of a visible placeholder, with the index of the source scalar it came from.
public struct DisplayAtom: Equatable, Sendable {
    public var text: String
    /// 1 or 2 columns.
    public var width: Int
    /// Index, in Unicode scalars, of the scalar of the original text this cell shows.
    public var source: Int
    /// True when this cell is part of a placeholder for an unsafe character.
    public var isPlaceholder: Bool
}

/// Makes untrusted text safe to put on a terminal: nothing in it can act on the terminal.
///
/// Every C0/C1 control (ESC, so every CSI/OSC/DCS sequence loses its introducer), DEL, bidi
/// overrides and isolates, zero-width characters, soft hyphen, variation selectors, other
/// format characters, line/paragraph separators and unassigned scalars become visible
/// placeholders: C0 controls and DEL as Unicode control pictures (`␛`, `␇`, `␡`), all others as
/// `<U+202E>`. Combining marks stay on their base (at most `maxCombining` per cell, so
/// "Zalgo" text cannot paint over neighbouring rows); a mark without a base is shown on `◌`.
public enum Sanitizer {
    public static let maxCombining = 3

    /// The placeholder for a scalar that must not reach the terminal raw, or nil if it is safe.
    public static func placeholder(for s: Unicode.Scalar) -> String? {
        let v = s.value
        if v < 0x20 { return String(Unicode.Scalar(0x2400 + v)!) }
        if v == 0x7F { return "\u{2421}" }
        if v < 0x7F { return nil }
        if v < 0xA0 || v == 0xAD { return code(v) }
        if (0xFE00...0xFE0F).contains(v) || (0xE0100...0xE01EF).contains(v) { return code(v) }  // variation selectors
        if v == 0x034F || v == 0x115F || v == 0x1160 || v == 0x3164 || v == 0xFFA0 { return code(v) }  // invisible fillers
        switch s.properties.generalCategory {
        case .control, .format, .unassigned, .surrogate, .lineSeparator, .paragraphSeparator, .privateUse:
            return code(v)
        default:
            return nil
        }
    }

    static func code(_ v: UInt32) -> String {
        let hex = String(v, radix: 16, uppercase: true)
        return "<U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex + ">"
    }

    /// The cells that show `text`, one per column position (wide cells count once, width 2).
    /// `maxColumns` stops early (long texts cost time proportional to what is shown only).
    public static func atoms(_ text: String, maxColumns: Int = .max) -> [DisplayAtom] {
        var out: [DisplayAtom] = []
        out.reserveCapacity(min(text.utf8.count, maxColumns == .max ? text.utf8.count : maxColumns + 8))
        var combining = 0
        var index = 0
        var columns = 0
        for s in text.unicodeScalars {
            defer { index += 1 }
            if columns > maxColumns { break }
            // VS15/VS16 right after a visible character only choose text or emoji style;
            // dropping them keeps its width what wcwidth says (terminals disagree on VS16).
            if s.value == 0xFE0E || s.value == 0xFE0F, let last = out.last, !last.isPlaceholder,
               let base = last.text.unicodeScalars.first, base.value > 0x7F, base.properties.isEmoji { continue }
            if let p = placeholder(for: s) {
                for ch in p.unicodeScalars {
                    out.append(DisplayAtom(text: String(ch), width: 1, source: index, isPlaceholder: true))
                }
                columns += p.unicodeScalars.count
                combining = 0
                continue
            }
            let w = TextWidth.of(s)
            if w == 0 {
                if let last = out.indices.last, !out[last].isPlaceholder {
                    if combining < maxCombining {
                        out[last].text.unicodeScalars.append(s)
                        combining += 1
                    }
                } else {
                    out.append(DisplayAtom(text: "\u{25CC}" + String(s), width: 1, source: index, isPlaceholder: false))
                    combining = 1
                    columns += 1
                }
                continue
            }
            out.append(DisplayAtom(text: String(s), width: w, source: index, isPlaceholder: false))
            combining = 0
            columns += w
        }
        return out
    }

    /// `text` with every unsafe scalar replaced by its placeholder (what the grid will show).
    public static func clean(_ text: String) -> String {
        atoms(text).map(\.text).joined()
    }

    /// Columns `clean(text)` occupies.
    public static func width(_ text: String) -> Int {
        atoms(text).reduce(0) { $0 + $1.width }
    }
}
