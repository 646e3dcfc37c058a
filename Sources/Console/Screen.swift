/// What a cell means, not how it looks: the terminal adapter maps each role to colours and
/// attributes per theme (colour, monochrome, `NO_COLOR`).
public enum Style: UInt8, Sendable, CaseIterable {
    case normal, muted, bar, barActive, selected, tagged, badgeUrgent, badgeWarn, badge,
         evidence, heading, status, message, error, overlay, overlaySelected, placeholder, prompt
}

/// One column of the screen. A wide character occupies its cell (width 2) and the next one,
/// which is a continuation (width 0, empty text) and is never written to the terminal.
public struct Cell: Equatable, Sendable {
    public var text: String
    public var width: UInt8
    public var style: Style

    public static let blank = Cell(text: " ", width: 1, style: .normal)
    public static func continuation(_ style: Style) -> Cell { Cell(text: "", width: 0, style: style) }
    public var isContinuation: Bool { width == 0 }
}

/// An in-memory grid of cells: the console renders into it; the terminal presents it by diff.
public struct Screen: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public private(set) var cells: [Cell]
    /// Where the terminal's cursor should sit (row, column): the selected row, for screen readers.
    public var cursor: (row: Int, column: Int)? = nil

    public init(width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
        cells = Array(repeating: .blank, count: self.width * self.height)
    }

    public static func == (a: Screen, b: Screen) -> Bool {
        a.width == b.width && a.height == b.height && a.cells == b.cells
            && a.cursor?.row == b.cursor?.row && a.cursor?.column == b.cursor?.column
    }

    public subscript(row: Int, column: Int) -> Cell {
        cells[row * width + column]
    }

    /// Fills a row range with blanks in one style.
    public mutating func fill(row: Int, from column: Int = 0, to end: Int? = nil, style: Style) {
        guard row >= 0, row < height else { return }
        let stop = min(end ?? width, width)
        var c = max(0, column)
        while c < stop { set(row, c, Cell(text: " ", width: 1, style: style)); c += 1 }
    }

    /// Writes one cell, keeping wide characters whole: a wide character split by the write
    /// is replaced by a blank, and one that would not fit at the right edge becomes a blank.
    public mutating func put(_ atom: DisplayAtom, row: Int, column: Int, style: Style) {
        guard row >= 0, row < height, column >= 0, column < width else { return }
        if atom.width == 2 && column + 1 >= width {
            set(row, column, Cell(text: " ", width: 1, style: style))
            return
        }
        set(row, column, Cell(text: atom.text, width: UInt8(atom.width), style: style))
        if atom.width == 2 {
            let j = row * width + column + 1
            // The cell we cover may be the left half of another wide character.
            if cells[j].width == 2, column + 2 < width {
                cells[j + 1] = Cell(text: " ", width: 1, style: cells[j + 1].style)
            }
            cells[j] = .continuation(style)
        }
    }

    private mutating func set(_ row: Int, _ column: Int, _ cell: Cell) {
        let i = row * width + column
        // Breaking the left half of a wide cell: its continuation turns into a blank.
        if cells[i].width == 2, column + 1 < width {
            cells[i + 1] = Cell(text: " ", width: 1, style: cells[i + 1].style)
        }
        // Breaking the right half of a wide cell: the left half turns into a blank.
        if cells[i].isContinuation, column > 0, cells[i - 1].width == 2 {
            cells[i - 1] = Cell(text: " ", width: 1, style: cells[i - 1].style)
        }
        cells[i] = cell
    }

    /// Writes untrusted or trusted text (always sanitised) from `column`, clipped to `maxWidth`
    /// columns; returns the column after the last cell written. Placeholders get their own style.
    @discardableResult
    public mutating func write(_ text: String, row: Int, column: Int, maxWidth: Int? = nil,
                               style: Style, highlight: ((Int) -> Style?)? = nil) -> Int {
        let room = max(0, min(width, column + (maxWidth ?? width)) - column)
        return write(atoms: DisplayText.atoms(text, maxColumns: room), row: row, column: column, maxWidth: maxWidth, style: style, highlight: highlight)
    }

    @discardableResult
    public mutating func write(atoms: [DisplayAtom], row: Int, column: Int, maxWidth: Int? = nil,
                               style: Style, highlight: ((Int) -> Style?)? = nil) -> Int {
        let limit = min(width, column + (maxWidth ?? width))
        var c = column
        for a in atoms {
            if c + a.width > limit {
                if a.width == 2 && c < limit { put(DisplayAtom(text: " ", width: 1, source: a.source, isPlaceholder: false), row: row, column: c, style: style); c += 1 }
                break
            }
            var s = highlight?(a.source) ?? style
            if a.isPlaceholder && s == style && style != .selected { s = .placeholder }
            put(a, row: row, column: c, style: s)
            c += a.width
        }
        return c
    }

    /// The text of one row as the terminal would show it (continuations skipped).
    public func line(_ row: Int) -> String {
        var s = ""
        for c in 0..<width where !self[row, c].isContinuation { s += self[row, c].text }
        return s
    }

    /// Sum of the cell widths of a row: always `width` for a well-formed grid.
    public func rowWidth(_ row: Int) -> Int {
        var n = 0
        for c in 0..<width { n += Int(self[row, c].width) }
        return n
    }

    /// All rows as text, for tests and debugging.
    public var lines: [String] { (0..<height).map(line) }
}
