import InboxModel

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

/// Untrusted text laid out for the terminal grid: `UntrustedText`'s table decides what is
/// replaced (its placeholders are drawn in their own style); this adds the cell widths.
/// Combining marks stay on their base (at most `maxCombining` per cell, so "Zalgo" text cannot
/// paint over neighbouring rows); a mark without a base is shown on `◌`.
public enum DisplayText {
    public static let maxCombining = 3

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
            if let p = UntrustedText.placeholder(for: s) {
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
