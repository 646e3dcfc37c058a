import Foundation
import InboxModel
import XCTest
@testable import Console
import Terminal

/// Drives the real ncurses adapter in tmux: the outer test starts this same test binary in a
/// tmux pane with `ROUNDS_TTY_SMOKE=1`, where `testInteractiveRun` runs `ConsoleApp.run` on the
/// in-memory inbox; the outer test sends keys and reads the pane.
final class TerminalSmokeTests: XCTestCase {
    func testInteractiveRun() throws {
        guard ProcessInfo.processInfo.environment["ROUNDS_TTY_SMOKE"] == "1" else {
            throw XCTSkip("runs only inside tmux, started by testTerminalAdapterInTmux")
        }
        let store = InMemoryConsoleStore(Fixtures.details())
        try ConsoleApp.run(store: store, policy: FixedPolicy(), moderator: "alice", role: .lead)
        let states = store.items.map { "\($0.detail.row.id)=\($0.detail.row.state.rawValue)" }.joined(separator: ",")
        let outbox = store.outbox.values.map(\.state).sorted().joined(separator: ",")
        print("SMOKE-RESULT states=\(states) outbox=\(outbox)")
    }

    /// Runs tmux through the shell (`popen`): Foundation's `Process` can miss the exit of a
    /// tmux client whose forked server inherits its descriptors. Arguments are quoted for sh.
    @discardableResult
    func tmux(_ args: [String], capture: Bool = false) -> String {
        func q(_ a: String) -> String { "'" + a.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        let line = (["tmux", "-L", socket] + args).map(q).joined(separator: " ") + " </dev/null 2>/dev/null" + (capture ? "" : " >/dev/null")
        guard let f = popen(line, "r") else { return "" }
        var out = [UInt8]()
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&buf, 1, buf.count, f)
            if n <= 0 { break }
            out += buf[0..<n]
        }
        pclose(f)
        return capture ? String(decoding: out, as: UTF8.self) : ""
    }

    /// One private tmux server per test (each test method gets its own instance).
    let socket = "rounds-console-smoke-" + UUID().uuidString.prefix(8)

    func waitFor(_ text: String, timeout: TimeInterval = 20) -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var screen = ""
        while Date() < deadline {
            screen = tmux(["capture-pane", "-J", "-t", "s", "-p"], capture: true)
            if screen.contains(text) { return screen }
            Thread.sleep(forTimeInterval: 0.2)
        }
        XCTFail("timed out waiting for '\(text)'; screen:\n\(screen)")
        return screen
    }

    func testTerminalAdapterInTmux() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux") else { throw XCTSkip("tmux not installed") }
        guard ProcessInfo.processInfo.environment["ROUNDS_TTY_SMOKE"] == nil else { throw XCTSkip("inner run") }
        let binary = ProcessInfo.processInfo.arguments[0]
        guard binary.hasSuffix(".xctest") else { throw XCTSkip("not run from the xctest binary") }
        let command = "env ROUNDS_TTY_SMOKE=1 TERM=tmux-256color LANG=C.UTF-8 '\(binary)' ConsoleTests.TerminalSmokeTests/testInteractiveRun; sleep 30"
        tmux(["-u", "new-session", "-d", "-s", "s", "-x", "100", "-y", "30", command])
        defer {
            tmux(["kill-server"])
            try? FileManager.default.removeItem(atPath: "/tmp/tmux-\(getuid())/\(socket)")
        }

        var screen = waitFor("Urgent 1")
        XCTAssertTrue(screen.contains("@sad_user"))
        XCTAssertTrue(screen.contains("I want to end it all tonight"))
        // Help, generated from the table.
        tmux(["send-keys", "-t", "s", "?"])
        screen = waitFor("Keys (j/k scroll, Esc closes)")
        tmux(["send-keys", "-t", "s", "Escape"])
        // Switch to All, move to the injection message: placeholders, no escape effects.
        tmux(["send-keys", "-t", "s", ":"])
        tmux(["send-keys", "-t", "s", "-l", "queue all"])
        tmux(["send-keys", "-t", "s", "Enter", "j"])
        screen = waitFor("#6 X mention PUBLIC")
        XCTAssertTrue(screen.contains("␛]52;c;ZWNobyBwd25lZA==␇hi ␛[2J<U+202E>evil<U+202C>"))
        XCTAssertTrue(screen.contains("病院の駐車場はどこですか？谢谢"))
        // Hide with the preselected reason, then undo.
        tmux(["send-keys", "-t", "s", "h"])
        screen = waitFor("Hide: choose the reason")
        tmux(["send-keys", "-t", "s", "Enter"])
        screen = waitFor("Hidden (profanity)")
        tmux(["send-keys", "-t", "s", "u"])
        screen = waitFor("Undone")
        // Canned reply on the emergency: countdown, then it is released.
        tmux(["send-keys", "-t", "s", "g", "1"])
        screen = waitFor("reply sends in")
        // Resize: the layout follows; too small shows the message.
        tmux(["resize-window", "-t", "s", "-x", "50", "-y", "20"])
        screen = waitFor("Window too small (50x20)")
        tmux(["resize-window", "-t", "s", "-x", "90", "-y", "26"])
        screen = waitFor("Urg 1")
        // After the 10 s undo window the countdown goes away (the reply was released).
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, tmux(["capture-pane", "-t", "s", "-p"], capture: true).contains("reply sends in") {
            Thread.sleep(forTimeInterval: 0.3)
        }
        XCTAssertFalse(tmux(["capture-pane", "-t", "s", "-p"], capture: true).contains("reply sends in"))
        tmux(["send-keys", "-t", "s", "q"])
        screen = waitFor("SMOKE-RESULT")
        XCTAssertTrue(screen.contains("6=open"), screen)
        XCTAssertTrue(screen.contains("outbox=ready"), screen)
    }

    func testSigtermRestoresTheTerminalAndReleasesPendingReplies() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux") else { throw XCTSkip("tmux not installed") }
        guard ProcessInfo.processInfo.environment["ROUNDS_TTY_SMOKE"] == nil else { throw XCTSkip("inner run") }
        let binary = ProcessInfo.processInfo.arguments[0]
        guard binary.hasSuffix(".xctest") else { throw XCTSkip("not run from the xctest binary") }
        let command = "env ROUNDS_TTY_SMOKE=1 TERM=xterm-256color LANG=C.UTF-8 NO_COLOR=1 '\(binary)' ConsoleTests.TerminalSmokeTests/testInteractiveRun; sleep 30"
        tmux(["-u", "new-session", "-d", "-s", "s", "-x", "80", "-y", "24", command])
        defer {
            tmux(["kill-server"])
            try? FileManager.default.removeItem(atPath: "/tmp/tmux-\(getuid())/\(socket)")
        }
        _ = waitFor("Urg 1")
        tmux(["send-keys", "-t", "s", "1"])
        _ = waitFor("reply sends in")
        XCTAssertEqual(tmux(["display-message", "-p", "-t", "s", "#{alternate_on}"], capture: true).trimmingCharacters(in: .whitespacesAndNewlines), "1")
        // The pane runs `sh -c`, whose child is the console: signal that one process only.
        let shell = tmux(["display-message", "-p", "-t", "s", "#{pane_pid}"], capture: true).trimmingCharacters(in: .whitespacesAndNewlines)
        let children = try String(contentsOfFile: "/proc/\(shell)/task/\(shell)/children", encoding: .utf8)
        guard let child = children.split(separator: " ").first.flatMap({ Int32($0) }) else { return XCTFail("no console process") }
        XCTAssertEqual(kill(child, SIGTERM), 0)
        let screen = waitFor("SMOKE-RESULT")
        XCTAssertTrue(screen.contains("outbox=ready"), screen)
        XCTAssertEqual(tmux(["display-message", "-p", "-t", "s", "#{alternate_on}"], capture: true).trimmingCharacters(in: .whitespacesAndNewlines), "0",
                       "the alternate screen was left")
    }
}

extension TerminalSmokeTests {
    func testBadTermIsAClearErrorNotACrash() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux") else { throw XCTSkip("tmux not installed") }
        guard ProcessInfo.processInfo.environment["ROUNDS_TTY_SMOKE"] == nil else { throw XCTSkip("inner run") }
        let binary = ProcessInfo.processInfo.arguments[0]
        guard binary.hasSuffix(".xctest") else { throw XCTSkip("not run from the xctest binary") }
        let command = "env ROUNDS_TTY_SMOKE=1 TERM=bogus-term LANG=C.UTF-8 '\(binary)' ConsoleTests.TerminalSmokeTests/testInteractiveRun; sleep 30"
        tmux(["-u", "new-session", "-d", "-s", "s", "-x", "200", "-y", "24", command])
        defer {
            tmux(["kill-server"])
            try? FileManager.default.removeItem(atPath: "/tmp/tmux-\(getuid())/\(socket)")
        }
        let screen = waitFor("cannot use terminal type 'bogus-term' (no terminfo entry): try TERM=xterm-256color")
        XCTAssertFalse(screen.contains("Fatal error"))
    }
}

final class ThemeTests: XCTestCase {
    func testNoColorSelectsMonochrome() {
        XCTAssertEqual(Theme.fromEnvironment(["NO_COLOR": "1"]), .monochrome)
        XCTAssertEqual(Theme.fromEnvironment(["NO_COLOR": ""]), .colour)  // no-color.org: only a non-empty value counts
        XCTAssertEqual(Theme.fromEnvironment(["ROUNDS_THEME": "monochrome"]), .monochrome)
        XCTAssertEqual(Theme.fromEnvironment([:]), .colour)
    }
}
