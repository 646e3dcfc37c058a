import InboxModel
import Foundation

/// A key press as the console understands it, decoded from ncurses' `get_wch`.
public enum KeyEvent: Hashable, Sendable {
    case char(Character)
    case up, down, left, right, pageUp, pageDown, home, end
    case enter, tab, backTab, escape, backspace, delete
    /// Control + a letter (lowercase), e.g. `.ctrl("l")`.
    case ctrl(Character)
    case function(Int)
    case resize
    case unknown(Int32)

    /// Decodes one `get_wch` result: `isKeyCode` is true when it returned `KEY_CODE_YES`.
    public static func decode(isKeyCode: Bool, value: UInt32) -> KeyEvent {
        if isKeyCode {
            switch value {
            case 258: return .down          // KEY_DOWN
            case 259: return .up            // KEY_UP
            case 260: return .left          // KEY_LEFT
            case 261: return .right         // KEY_RIGHT
            case 262: return .home          // KEY_HOME
            case 263: return .backspace     // KEY_BACKSPACE
            case 265...328: return .function(Int(value) - 264)  // KEY_F(n)
            case 330: return .delete        // KEY_DC
            case 338: return .pageDown      // KEY_NPAGE
            case 339: return .pageUp        // KEY_PPAGE
            case 343: return .enter         // KEY_ENTER
            case 353: return .backTab       // KEY_BTAB
            case 360: return .end           // KEY_END
            case 410: return .resize        // KEY_RESIZE
            default: return .unknown(Int32(truncatingIfNeeded: value))
            }
        }
        switch value {
        case 9: return .tab
        case 10, 13: return .enter
        case 27: return .escape
        case 8, 127: return .backspace
        case 1...26: return .ctrl(Character(Unicode.Scalar(value + 96)!))
        case 0, 28...31: return .unknown(Int32(value))
        default:
            guard let s = Unicode.Scalar(value) else { return .unknown(Int32(truncatingIfNeeded: value)) }
            return .char(Character(s))
        }
    }

    /// The key's name in help and `keys.conf` (`j`, `Down`, `PgDn`, `S-Tab`, `C-l`, `Space`).
    public var name: String {
        switch self {
        case .char(" "): "Space"
        case .char(let c): String(c)
        case .up: "Up"
        case .down: "Down"
        case .left: "Left"
        case .right: "Right"
        case .pageUp: "PgUp"
        case .pageDown: "PgDn"
        case .home: "Home"
        case .end: "End"
        case .enter: "Enter"
        case .tab: "Tab"
        case .backTab: "S-Tab"
        case .escape: "Esc"
        case .backspace: "Backspace"
        case .delete: "Delete"
        case .ctrl(let c): "C-\(c)"
        case .function(let n): "F\(n)"
        case .resize: "Resize"
        case .unknown(let n): "<\(n)>"
        }
    }

    /// Parses a key name as written in `keys.conf`; nil if it names no key.
    public static func named(_ raw: String) -> KeyEvent? {
        let names: [String: KeyEvent] = [
            "space": .char(" "), "up": .up, "down": .down, "left": .left, "right": .right,
            "pgup": .pageUp, "pageup": .pageUp, "pgdn": .pageDown, "pagedown": .pageDown,
            "home": .home, "end": .end, "enter": .enter, "return": .enter, "tab": .tab,
            "s-tab": .backTab, "backtab": .backTab, "esc": .escape, "escape": .escape,
            "backspace": .backspace, "delete": .delete, "del": .delete,
        ]
        if let k = names[raw.lowercased()] { return k }
        if raw.count == 1, let c = raw.first, !c.isWhitespace, c.unicodeScalars.allSatisfy({ UntrustedText.placeholder(for: $0) == nil }) {
            return .char(c)
        }
        let lower = raw.lowercased()
        if (lower.hasPrefix("c-") || lower.hasPrefix("ctrl-")), let c = lower.last, c.isLetter, c.isASCII,
           lower.count == (lower.hasPrefix("c-") ? 3 : 6) {
            return .ctrl(c)
        }
        if lower.hasPrefix("f"), let n = Int(lower.dropFirst()), (1...24).contains(n) { return .function(n) }
        return nil
    }
}

/// Every action a key can trigger. `CommandTable.entries` names each with its help text; the
/// key map and the `?` screen are generated from it.
public enum Command: Hashable, Sendable {
    case moveDown, moveUp, pageDown, pageUp, first, last
    case nextQueue, previousQueue, openDetail
    case replyTemplate(Int)
    case freeReply, hide, delete, escalate, markDone, claimToggle, snooze, note, undo
    case retryDelivery, cancelDelivery
    case tag, tagMatching, applyToTagged
    case search, commandLine, help, cancel, quit, redraw
}

/// One row of the action table.
public struct CommandInfo: Sendable {
    public var command: Command
    /// Name used in `keys.conf` and `:` commands.
    public var id: String
    public var defaultKeys: [KeyEvent]
    public var help: String
    public var section: String
}

/// The one table of actions: ids, default keys and help text.
public enum CommandTable {
    public static let entries: [CommandInfo] = {
        var e: [CommandInfo] = [
            .init(command: .moveDown, id: "move-down", defaultKeys: [.char("j"), .down], help: "Next message", section: "Move"),
            .init(command: .moveUp, id: "move-up", defaultKeys: [.char("k"), .up], help: "Previous message", section: "Move"),
            .init(command: .pageDown, id: "page-down", defaultKeys: [.pageDown, .char(" ")], help: "Next page", section: "Move"),
            .init(command: .pageUp, id: "page-up", defaultKeys: [.pageUp], help: "Previous page", section: "Move"),
            .init(command: .first, id: "first", defaultKeys: [.char("g"), .home], help: "First message", section: "Move"),
            .init(command: .last, id: "last", defaultKeys: [.char("G"), .end], help: "Last message", section: "Move"),
            .init(command: .nextQueue, id: "next-queue", defaultKeys: [.tab], help: "Next queue", section: "Move"),
            .init(command: .previousQueue, id: "previous-queue", defaultKeys: [.backTab], help: "Previous queue", section: "Move"),
            .init(command: .openDetail, id: "open-detail", defaultKeys: [.enter], help: "Full-screen detail (Enter/Esc to close)", section: "Move"),
        ]
        for n in 1...9 {
            e.append(.init(command: .replyTemplate(n), id: "reply-\(n)", defaultKeys: [.char(Character("\(n)"))],
                           help: "Reply with template \(n) (1 = recommended); undo window follows", section: "Act"))
        }
        e += [
            .init(command: .freeReply, id: "free-reply", defaultKeys: [.char("R")], help: "Free-text reply (not in Urgent/Symptoms unless lead)", section: "Act"),
            .init(command: .hide, id: "hide", defaultKeys: [.char("h")], help: "Hide on the platform, with a reason", section: "Act"),
            .init(command: .delete, id: "delete", defaultKeys: [.char("D")], help: "Delete (leads only; asks to confirm)", section: "Act"),
            .init(command: .escalate, id: "escalate", defaultKeys: [.char("e")], help: "Escalate to the policy's contact, optional note", section: "Act"),
            .init(command: .markDone, id: "done", defaultKeys: [.char("x")], help: "Done, no action needed", section: "Act"),
            .init(command: .claimToggle, id: "claim", defaultKeys: [.char("c")], help: "Claim / release", section: "Act"),
            .init(command: .snooze, id: "snooze", defaultKeys: [.char("z")], help: "Snooze (1 h, 4 h, tomorrow)", section: "Act"),
            .init(command: .note, id: "note", defaultKeys: [.char("n")], help: "Internal note", section: "Act"),
            .init(command: .undo, id: "undo", defaultKeys: [.char("u")], help: "Undo the last action (cancels a pending reply)", section: "Act"),
            .init(command: .retryDelivery, id: "retry-delivery", defaultKeys: [.char("S")], help: "Send the message's failed delivery again (leads only)", section: "Act"),
            .init(command: .cancelDelivery, id: "cancel-delivery", defaultKeys: [.char("X")], help: "Cancel the message's failed delivery (leads only)", section: "Act"),
            .init(command: .tag, id: "tag", defaultKeys: [.char("t")], help: "Tag / untag the message", section: "Tags"),
            .init(command: .tagMatching, id: "tag-matching", defaultKeys: [.char("T")], help: "Tag all in this view matching a pattern", section: "Tags"),
            .init(command: .applyToTagged, id: "apply-to-tagged", defaultKeys: [.char(";")], help: "Apply the next action to tagged messages in this view", section: "Tags"),
            .init(command: .search, id: "search", defaultKeys: [.char("/")], help: "Search / filter (flag: platform: kind: from: lang: state: after: before: -not \"phrase\")", section: "Other"),
            .init(command: .commandLine, id: "command-line", defaultKeys: [.char(":")], help: "Command line (:queue NAME, :filter ..., :export, :help, :q)", section: "Other"),
            .init(command: .help, id: "help", defaultKeys: [.char("?"), .function(1)], help: "This help", section: "Other"),
            .init(command: .cancel, id: "cancel", defaultKeys: [.escape], help: "Close overlay, menu or prompt; clear a pending ';'", section: "Other"),
            .init(command: .quit, id: "quit", defaultKeys: [.char("q")], help: "Quit (asks about pending replies)", section: "Other"),
            .init(command: .redraw, id: "redraw", defaultKeys: [.ctrl("l")], help: "Redraw the screen", section: "Other"),
        ]
        return e
    }()

    public static func info(_ command: Command) -> CommandInfo? { entries.first { $0.command == command } }
    public static func command(id: String) -> Command? { entries.first { $0.id == id }?.command }
}

/// A `keys.conf` problem, with its line.
public struct KeyConfigError: Error, Equatable, Sendable, CustomStringConvertible {
    public var line: Int
    public var message: String
    public var description: String { "keys.conf:\(line): \(message)" }
}

/// Which command each key triggers: the defaults from `CommandTable`, plus user rebinding.
public struct KeyMap: Equatable, Sendable {
    public private(set) var bindings: [KeyEvent: Command]

    public static let defaults: KeyMap = {
        var b: [KeyEvent: Command] = [:]
        for e in CommandTable.entries { for k in e.defaultKeys { b[k] = e.command } }
        return KeyMap(bindings: b)
    }()

    public func command(for key: KeyEvent) -> Command? { bindings[key] }

    /// Keys bound to a command, in a stable order (for help).
    public func keys(for command: Command) -> [KeyEvent] {
        let defaults = CommandTable.info(command)?.defaultKeys ?? []
        let bound = bindings.filter { $0.value == command }.map(\.key)
        return defaults.filter(bound.contains) + bound.filter { !defaults.contains($0) }.sorted { $0.name < $1.name }
    }

    public mutating func bind(_ key: KeyEvent, to command: Command?) { bindings[key] = command }

    /// Reads a `keys.conf` file over the defaults; a missing file is no error (defaults apply).
    public static func load(path: String) -> (KeyMap, [KeyConfigError]) {
        guard FileManager.default.fileExists(atPath: path) else { return (.defaults, []) }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            return (.defaults, [KeyConfigError(line: 0, message: "cannot read \(path) as UTF-8 text")])
        }
        return parse(text)
    }

    /// Applies a `keys.conf`: lines `KEY = COMMAND-ID` (or `KEY = none` to unbind); `#` comments.
    /// Valid lines apply even when others are wrong; every wrong line is reported.
    public static func parse(_ text: String, base: KeyMap = .defaults) -> (KeyMap, [KeyConfigError]) {
        var map = base
        var errors: [KeyConfigError] = []
        for (n, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = Substring(rawLine)
            if line.hasSuffix("\r") { line = line.dropLast() }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            // `# = help` binds '#'; comments only start a line.
            guard let eq = trimmed.lastIndex(of: "="), eq != trimmed.startIndex else {
                errors.append(KeyConfigError(line: n + 1, message: "expected KEY = COMMAND, e.g. 'J = move-down'"))
                continue
            }
            let keyName = trimmed[..<eq].trimmingCharacters(in: .whitespaces)
            let commandName = trimmed[trimmed.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            guard let key = KeyEvent.named(keyName) else {
                errors.append(KeyConfigError(line: n + 1, message: "unknown key '\(DisplayText.clean(keyName))' (use a character, Space, Tab, S-Tab, Enter, Esc, Up, Down, PgUp, PgDn, Home, End, C-x, F1..F24)"))
                continue
            }
            if commandName.lowercased() == "none" { map.bind(key, to: nil); continue }
            guard let command = CommandTable.command(id: commandName) else {
                errors.append(KeyConfigError(line: n + 1, message: "unknown command '\(DisplayText.clean(commandName))'; see ? for the command ids"))
                continue
            }
            map.bind(key, to: command)
        }
        return (map, errors)
    }
}
