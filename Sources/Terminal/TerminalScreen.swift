import CNcursesw
import Console
import Foundation

/// How styles look: colours on the terminal's own background, or attributes only.
public enum Theme: String, Sendable {
    case colour, monochrome

    /// `monochrome` when `NO_COLOR` is set (any value) or the terminal has no colours.
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) -> Theme {
        if let v = env["NO_COLOR"], !v.isEmpty { return .monochrome }
        if env["ROUNDS_THEME"] == "monochrome" { return .monochrome }
        return .colour
    }
}

/// A terminal the console cannot use, worded for the user.
public struct TerminalError: Error, CustomStringConvertible {
    public var description: String
}

/// The only type that talks to ncurses: starts and ends the session, reads keys, and presents
/// a `Screen` by writing only the cells that changed since the previous frame.
public final class TerminalScreen {
    private var screenPtr: OpaquePointer?
    private var previous: Screen?
    private let theme: Theme
    private var attrs: [Style: (attr_t, Int16)] = [:]
    private var ended = false

    public init(theme requested: Theme = .fromEnvironment()) throws {
        guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else {
            throw TerminalError(description: "rounds console needs an interactive terminal (stdin and stdout must be a TTY)")
        }
        setlocale(LC_ALL, "")
        let term = ProcessInfo.processInfo.environment["TERM"] ?? ""
        guard !term.isEmpty, term != "dumb" else {
            throw TerminalError(description: "TERM is \(term.isEmpty ? "not set" : "'dumb'"): set it to your terminal type, e.g. TERM=xterm-256color")
        }
        guard let s = cn_newterm() else {
            throw TerminalError(description: "cannot use terminal type '\(term)' (no terminfo entry): try TERM=xterm-256color")
        }
        screenPtr = s
        set_escdelay(25)
        raw()
        noecho()
        nonl()
        keypad(cn_stdscr(), true)
        timeout(250)
        var t = requested
        if t == .colour {
            if has_colors() {
                start_color()
                use_default_colors()
            } else {
                t = .monochrome
            }
        }
        theme = t
        setupStyles()
    }

    deinit { end() }

    /// Restores the terminal (idempotent).
    public func end() {
        guard !ended else { return }
        ended = true
        endwin()
        if let s = screenPtr { delscreen(s) }
        screenPtr = nil
    }

    public var size: (width: Int, height: Int) { (Int(getmaxx(cn_stdscr())), Int(getmaxy(cn_stdscr()))) }

    /// Waits up to the input timeout for a key; nil when none arrived.
    public func readKey() -> KeyEvent? {
        var value: UInt32 = 0
        let r = cn_get_wch(&value)
        if r == ERR { return nil }
        return KeyEvent.decode(isKeyCode: r == cn_key_code_yes(), value: value)
    }

    /// Sets how long `readKey` waits, in milliseconds.
    public func setInputTimeout(_ ms: Int32) { timeout(ms) }

    private func setupStyles() {
        let bold = cn_a_bold(), rev = cn_a_reverse(), ul = cn_a_underline(), dim = cn_a_dim(), none = cn_a_normal()
        let colour = theme == .colour
        var pair: Int16 = 0
        func p(_ fg: Int16) -> Int16 {
            guard colour else { return 0 }
            pair += 1
            init_pair(pair, fg, -1)  // -1: the terminal's own background
            return pair
        }
        let red = p(Int16(COLOR_RED)), yellow = p(Int16(COLOR_YELLOW)), cyan = p(Int16(COLOR_CYAN)),
            magenta = p(Int16(COLOR_MAGENTA)), green = p(Int16(COLOR_GREEN))
        attrs = [
            .normal: (none, 0), .muted: (dim, 0), .bar: (rev, 0), .barActive: (bold | ul, colour ? cyan : 0),
            .selected: (rev | bold, 0), .tagged: (bold, yellow), .badgeUrgent: (bold, red),
            .badgeWarn: (colour ? bold : ul, yellow), .badge: (colour ? none : bold, cyan),
            .evidence: (bold | ul, magenta), .heading: (bold, 0), .status: (rev, 0), .message: (bold, green),
            .error: (colour ? bold : bold | ul, red), .overlay: (none, 0), .overlaySelected: (rev, 0),
            .placeholder: (colour ? none : ul, magenta), .prompt: (bold, 0),
        ]
    }

    /// Draws `screen`, writing only cells that differ from the last frame (all of them when
    /// `force`, the size changed, or after a redraw request), then places the cursor.
    public func present(_ screen: Screen, force: Bool = false) {
        let full = force || previous == nil || previous!.width != screen.width || previous!.height != screen.height
        if full {
            erase()
            if force { clearok(cn_stdscr(), true) }
        }
        let (tw, th) = size
        var buf = [wchar_t](repeating: 0, count: 8)
        for y in 0..<min(screen.height, th) {
            var x = 0
            while x < min(screen.width, tw) {
                let cell = screen[y, x]
                if cell.isContinuation { x += 1; continue }
                if !full, let prev = previous, prev[y, x] == cell,
                   cell.width != 2 || prev[y, x + 1] == screen[y, x + 1] {
                    x += Int(cell.width); continue
                }
                var n = 0
                for s in cell.text.unicodeScalars where n < 5 { buf[n] = wchar_t(bitPattern: s.value); n += 1 }
                if n == 0 { buf[0] = 32; n = 1 }
                buf[n] = 0
                let (a, pr) = attrs[cell.style] ?? (cn_a_normal(), 0)
                _ = cn_put_cell(Int32(y), Int32(x), buf, a, pr)
                x += max(1, Int(cell.width))
            }
        }
        if let c = screen.cursor, c.row < th, c.column < tw {
            move(Int32(c.row), Int32(c.column))
        }
        previous = screen
        CNcursesw.refresh()
    }

    /// Forgets the last frame so the next `present` repaints everything (resize, Ctrl-L).
    public func invalidate() { previous = nil }
}
