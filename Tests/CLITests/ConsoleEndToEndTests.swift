import Foundation
import XCTest

/// Drives the real `rounds` binary in a real tmux on a fresh demo inbox, the way a moderator
/// would: moves, opens the help, sends a canned reply and watches the undo countdown, hides an
/// offensive comment with the pre-selected reason, undoes, searches, resizes, quits; then checks
/// the database with `rounds stats`, `rounds outbox` and the sqlite3 CLI.
///
/// Every expected text below was read off the screen of `rounds demo` in tmux 3.3a at 120x40.
/// Needs `tmux` (skipped without it) and the `sqlite3` CLI (CI installs both).
final class ConsoleEndToEndTests: XCTestCase {
    /// The package root: `rounds demo` finds `Policies/` from here.
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    private var tmuxPath = ""
    private var socket = ""
    private var tmp: URL?
    private var db: String { tmp!.appendingPathComponent("demo.sqlite").path }
    private var exitFile: String { tmp!.appendingPathComponent("exit-status").path }

    override func setUpWithError() throws {
        guard let tmux = Self.which("tmux") else { throw XCTSkip("tmux is not installed") }
        tmuxPath = tmux
        socket = "rounds-e2e-\(UUID().uuidString)"
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rounds-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        tmp = dir
    }

    override func tearDown() {
        if !socket.isEmpty { _ = try? tmux(["kill-server"]) }
        if let tmp { try? FileManager.default.removeItem(at: tmp) }
        tmp = nil
        super.tearDown()
    }

    func testModeratorSessionInTmux() throws {
        let started = Date()
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: CLI.binary.path), "no rounds binary at \(CLI.binary.path)")
        let sqlite3 = try XCTUnwrap(Self.which("sqlite3"), "the sqlite3 CLI is needed to read the audit log")

        // Start the console: a fresh demo inbox, as a lead, in a private tmux server.
        let command = "cd \(q(Self.packageRoot.path)) && env -u NO_COLOR -u ROUNDS_DB TERM=tmux-256color LANG=C.UTF-8 "
            + "\(q(CLI.binary.path)) demo --db \(q(db)) --policies \(q(Self.packageRoot.appendingPathComponent("Policies").path)); "
            + "echo $? > \(q(exitFile)); sleep 120"
        try startServer(["-u", "-f", "/dev/null", "new-session", "-d", "-s", "s", "-x", "120", "-y", "40", command])

        // 1. The queue bar with live counts, in the issue's order; the list starts in Urgent.
        // Building the demo inbox takes about a second; allow for a busy CI machine.
        var screen = try waitFor("the queue bar and the Urgent list", timeout: 30) { s in
            s.count == 40 && self.row(s, 0).hasPrefix(" Urgent ") && self.row(s, 0).contains(" All ") && self.status(s).contains("Urgent 1/")
        }
        let bar = screen[0]
        let titles = ["Urgent", "PHI", "Symptoms", "Offensive", "Reviews", "New", "Mine", "Snoozed", "Done", "All"]
        let positions = titles.map { bar.range(of: " \($0) ")?.lowerBound }
        XCTAssertFalse(positions.contains(nil), "a queue is missing from the bar: \(bar)")
        XCTAssertEqual(positions.compactMap { $0 }, positions.compactMap { $0 }.sorted(), "queues out of order: \(bar)")
        let allCount = try XCTUnwrap(count("All", bar))
        let urgentCount = try XCTUnwrap(count("Urgent", bar))
        let doneCount = try XCTUnwrap(count("Done", bar))
        XCTAssertGreaterThan(allCount, 100, bar)  // about two hundred demo messages
        XCTAssertGreaterThan(urgentCount, 2, bar)
        XCTAssertEqual(doneCount, 0, bar)
        XCTAssertTrue(status(screen).contains("(lead)"), "demo opens the console as a lead: \(status(screen))")
        XCTAssertTrue(screen[39].contains("? help"), "key hints on the last line: \(screen[39])")
        XCTAssertTrue(screen[1].hasPrefix(" >"), "the cursor starts on the first row:\n\(dump(screen))")

        // Move with j and k: the marker and the position in the status line follow.
        try keys("j")
        try keys("j")
        screen = try waitFor("j j moves to row 3") { s in self.status(s).contains("Urgent 3/") && self.row(s, 3).hasPrefix(" >") }
        try keys("k")
        screen = try waitFor("k moves back to row 2") { s in self.status(s).contains("Urgent 2/") && self.row(s, 2).hasPrefix(" >") }
        XCTAssertFalse(screen[1].hasPrefix(" >"), dump(screen))
        XCTAssertFalse(screen[3].hasPrefix(" >"), dump(screen))

        // `?` opens the help generated from the key table; Esc closes it.
        try keys("?")
        screen = try waitFor("the help overlay") { s in s.contains { $0.contains("Keys (j/k scroll, Esc closes)") } }
        for (key, text) in [("j Down", "Next message"), ("1 2 3 4 5 6 7 8 9", "Reply with template 1-9"),
                            ("h", "Hide on the platform, with a reason"), ("u", "Undo the last action"),
                            ("/", "Search / filter"), ("?", "This help")] {
            XCTAssertTrue(screen.contains { $0.contains("│  \(key) ") && $0.contains(text) }, "help lacks \(key) \(text):\n\(dump(screen))")
        }
        // The help is longer than a 40-row screen: the rest is a page down.
        try keys("Space")
        screen = try waitFor("the help's last page") { s in s.contains { $0.contains("│  q ") && $0.contains("Quit") } }
        try keys("Escape")
        screen = try waitFor("the help closes on Esc") { s in
            !s.contains { $0.contains("Keys (j/k scroll") } && self.row(s, 39).contains("? help") && self.row(s, 2).hasPrefix(" >")
        }

        // 2. A canned reply with `1`: queued at once, counted down in the status line.
        screen = try waitFor("the selected message's reply templates") { s in s.contains { $0.hasPrefix("1 ★ ") } }
        let repliedID = try XCTUnwrap(selectedID(screen), dump(screen))
        let visibility = try XCTUnwrap(firstMatch(#"reply: (PUBLIC|PRIVATE)"#, in: status(screen)), status(screen))
        try keys("1")
        screen = try waitFor("the undo countdown") { s in self.status(s).contains(" reply sends in ") }
        XCTAssertEqual(screen[39], " Reply queued (\(visibility))", dump(screen))
        let firstLeft = try XCTUnwrap(firstMatch(#"reply sends in (\d+)s, u undoes"#, in: status(screen)).flatMap { Int($0) }, status(screen))
        XCTAssertTrue((1...10).contains(firstLeft), status(screen))  // the policy's undo window is 10 s
        screen = try waitFor("the countdown goes down") { s in
            (self.firstMatch(#"reply sends in (\d+)s, u undoes"#, in: self.status(s)).flatMap { Int($0) } ?? 99) < firstLeft
        }
        // The answered message leaves Urgent for Done.
        XCTAssertEqual(count("Urgent", screen[0]), urgentCount - 1, screen[0])
        XCTAssertEqual(count("Done", screen[0]), 1, screen[0])
        var outbox = try outboxEntries()
        XCTAssertEqual(outbox.count, 1, "\(outbox)")
        XCTAssertEqual(outbox.first?["message_id"] as? Int, repliedID, "\(outbox)")
        XCTAssertTrue(["pending", "ready"].contains(outbox.first?["state"] as? String ?? ""), "\(outbox)")
        // Let the undo window run out: `u` cancels a pending reply before anything else.
        screen = try waitFor("the reply leaves the undo window", timeout: 15) { s in !self.status(s).contains("reply sends in") }
        outbox = try outboxEntries()
        XCTAssertEqual(outbox.first?["state"] as? String, "ready", "\(outbox)")

        // 3. The Offensive queue (Tab three times from Urgent), hide with the pre-selected reason, undo.
        try keys("Tab", "Tab", "Tab")
        screen = try waitFor("the Offensive queue") { s in self.status(s).contains("Offensive 1/") && self.row(s, 1).hasPrefix(" >") }
        let offensiveCount = try XCTUnwrap(count("Offensive", screen[0]))
        let offRow = try XCTUnwrap((1...14).first { screen[$0].contains(" OFF ") }, "no OFF badge in the list:\n\(dump(screen))")
        for _ in 1..<offRow { try keys("j") }
        screen = try waitFor("an offensive comment selected, its detail loaded") { s in
            self.row(s, offRow).hasPrefix(" >") && self.status(s).contains("Offensive \(offRow)/") && s.contains { $0.hasPrefix("Offensive · ") }
        }
        let hiddenID = try XCTUnwrap(selectedID(screen), dump(screen))
        try keys("h")
        screen = try waitFor("the hide reasons menu") { s in s.contains { $0.contains("Hide: choose the reason (Enter, Esc)") } }
        // The pre-selected reason is drawn in reverse video.
        let colours = try tmux(["capture-pane", "-t", "s", "-p", "-e"]).stdout
        let highlighted = try XCTUnwrap(colours.split(separator: "\n").lazy.compactMap { line -> String? in
            guard let r = line.range(of: "\u{1B}[7m") else { return nil }
            return self.firstMatch(#"^ \d ([^(]+)\(([a-z_]+)\)"#, in: String(line[r.upperBound...]), group: 2)
        }.first, "no highlighted reason:\n\(colours)")
        try keys("Enter")
        screen = try waitFor("the hide confirmation") { s in self.row(s, 39).hasPrefix(" Hidden (") }
        XCTAssertEqual(screen[39], " Hidden (\(highlighted))", "the pre-selected reason is the one applied")
        XCTAssertEqual(count("Offensive", screen[0]), offensiveCount - 1, screen[0])
        XCTAssertNotEqual(selectedID(screen), hiddenID, "the hidden comment left the queue:\n\(dump(screen))")
        try keys("u")
        screen = try waitFor("the undo") { s in self.row(s, 39) == " Undone: hide" }
        XCTAssertEqual(count("Offensive", screen[0]), offensiveCount, screen[0])
        XCTAssertTrue(screen.contains { $0.contains(" OFF ") }, dump(screen))

        // 4. Search for a word of the demo in the All queue.
        try keys(":")
        try literal("queue all")
        try keys("Enter")
        screen = try waitFor("the All queue") { s in self.status(s).contains("All 1/\(allCount)") }
        try keys("/")
        screen = try waitFor("the search prompt") { s in self.row(s, 39) == "/" }
        try literal("flu")
        try keys("Enter")
        screen = try waitFor("the search results") { s in
            self.status(s).contains("filter: flu") && self.row(s, 39) == " Filter: flu" && self.row(s, 1).hasPrefix(" >")
        }
        let resultRows = listRows(screen)
        XCTAssertGreaterThanOrEqual(resultRows.filter { $0.lowercased().contains("flu") }.count, 3, dump(screen))
        XCTAssertFalse(screen.contains { $0.contains("heart attack") }, "a message without 'flu' is listed:\n\(dump(screen))")
        let detail = screen[(resultRows.count + 2)...].joined(separator: "\n")
        XCTAssertTrue(detail.lowercased().contains("flu"), "the first result's detail shows the word:\n\(dump(screen))")
        // Exactly the messages whose text has the word (fewer than a screenful in the demo).
        let matches = try Int(run(sqlite3, [db, "select count(*) from message_fts where message_fts match 'flu'"]).trimmingCharacters(in: .whitespacesAndNewlines))
        XCTAssertEqual(resultRows.count, matches, dump(screen))

        // 5. Resize: the screen redraws at 80x24 at once; below 60x15 it asks for a bigger window.
        _ = try tmux(["resize-window", "-t", "s", "-x", "80", "-y", "24"])
        screen = try waitFor("the redraw at 80x24") { s in
            s.count == 24 && s[0].contains("All \(allCount)") && s[0].contains(" Sym ") && self.status(s).contains("filter: flu")
        }
        for line in screen { XCTAssertLessThanOrEqual(Self.displayWidth(line), 80, "too wide at 80 columns: \(line)") }
        XCTAssertTrue(screen[22].contains("(lead) │ All 1 of \(matches ?? -1) matching"), "status line on row 23:\n\(dump(screen))")
        // The message line on row 24: the search's flash for 4 s, then the key hints.
        XCTAssertTrue(screen[23] == " Filter: flu" || screen[23].hasPrefix(" j move"), "message line on row 24:\n\(dump(screen))")
        XCTAssertTrue(screen[1].hasPrefix(" >"), dump(screen))
        // The short bar is exactly 80 wide: every queue fits, Urgent included, no scroll marker.
        XCTAssertTrue(screen[0].hasPrefix(" Urg "), "queue bar at 80 columns:\n\(dump(screen))")
        XCTAssertFalse(screen[0].contains("‹"), dump(screen))
        _ = try tmux(["resize-window", "-t", "s", "-x", "50", "-y", "12"])
        screen = try waitFor("the enlarge-the-window message") { s in
            s.count == 12 && s.joined(separator: " ").split(separator: " ").joined(separator: " ")
                .contains("Window too small (50x12). Please enlarge the window to at least 60 columns x 15 rows. q quits.")
        }
        XCTAssertFalse(screen.contains { $0.contains("All \(allCount)") }, "no broken layout behind the message:\n\(dump(screen))")
        _ = try tmux(["resize-window", "-t", "s", "-x", "120", "-y", "40"])
        screen = try waitFor("the full layout back at 120x40") { s in
            s.count == 40 && s[0].hasPrefix(" Urgent ") && self.status(s).contains("All 1 of \(matches ?? -1) matching")
        }

        // 6. Quit; answer the pending-replies question if there is one.
        try keys("q")
        screen = try waitFor("the console to end") { s in
            if s.contains(where: { $0.contains("still in the undo window") }) { _ = try? self.keys("1") }
            return FileManager.default.fileExists(atPath: self.exitFile)
                && ((try? String(contentsOfFile: self.exitFile, encoding: .utf8)) ?? "").hasSuffix("\n")
        }
        XCTAssertEqual(try String(contentsOfFile: exitFile, encoding: .utf8), "0\n", "exit status of rounds demo")
        XCTAssertFalse(screen.contains { $0.contains(" All \(allCount)") }, "the console left the alternate screen:\n\(dump(screen))")

        // 7. The database, through the CLI.
        let stats = try CLI.run(["stats", "--db", db])
        XCTAssertEqual(stats.status, 0, stats.stderr)
        XCTAssertTrue(stats.stdout.contains(": \(allCount) messages"), stats.stdout)
        let byState = stats.stdout.components(separatedBy: "by state:").last?.components(separatedBy: "open by lane:").first ?? ""
        XCTAssertNotNil(byState.range(of: #"\n  done +1\n"#, options: .regularExpression), stats.stdout)
        XCTAssertNotNil(byState.range(of: "\\n  open +\(allCount - 1)\\n", options: .regularExpression), stats.stdout)
        XCTAssertFalse(byState.contains("hidden"), "the hide was undone:\n\(stats.stdout)")

        outbox = try outboxEntries()
        let hides = outbox.filter { $0["action"] as? String == "hide" }
        XCTAssertEqual(hides.map { $0["state"] as? String }, ["cancelled"], "the undone hide never leaves: \(outbox)")
        XCTAssertEqual(hides.first?["message_id"] as? Int, hiddenID)
        outbox = outbox.filter { $0["action"] as? String == "reply" }
        XCTAssertEqual(outbox.count, 1, "one reply, one per message: \(outbox)")
        let reply = try XCTUnwrap(outbox.first)
        XCTAssertEqual(reply["message_id"] as? Int, repliedID)
        XCTAssertEqual(reply["state"] as? String, "ready")
        XCTAssertEqual(reply["visibility"] as? String, visibility.lowercased())
        XCTAssertFalse((reply["template_id"] as? String ?? "").isEmpty, "\(reply)")
        XCTAssertFalse((reply["text"] as? String ?? "").isEmpty, "\(reply)")

        // State changes in order (opening a PHI-flagged message is audited too, but where the
        // cursor passes depends on the demo's order, so those read events are counted apart;
        // the demo's making its runner the lead is checked in TeamCLITests).
        let log = try run(sqlite3, [db, "select action || ' ' || coalesce(message_id, '') || ' ' || coalesce(reason_code, '') from action where action NOT IN ('open_phi', 'team_add', 'session_open', 'session_close', 'policies_override') order by id"])
        let sessions = try run(sqlite3, [db, "select action from action where action like 'session_%' or action = 'team_add' order by id"])
        XCTAssertEqual(sessions.split(separator: "\n").map(String.init), ["team_add", "session_open", "session_close"],
                       "the demo makes its runner the lead; the console's session is on the record")
        XCTAssertEqual(log.split(separator: "\n").map(String.init), [
            "reply_queued \(repliedID) ",
            "reply_released \(repliedID) ",
            "hide \(hiddenID) \(highlighted)",
            "delivery_cancelled \(hiddenID) ",
            "undo \(hiddenID) ",
        ], log)

        // About 15 s, most of it the reply's 10 s undo window.
        print("ConsoleEndToEndTests: \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
    }

    // MARK: - tmux

    struct ProcessOutput { var status: Int32; var stdout: String; var stderr: String }

    /// The word lists load while the first screen is drawn: a broken one still stops the console
    /// before it takes a key, with the file and line, and the terminal is given back.
    func testBrokenPoliciesStopTheConsoleWithFileAndLine() throws {
        let policies = tmp!.appendingPathComponent("Policies")
        try FileManager.default.copyItem(at: Self.packageRoot.appendingPathComponent("Policies"), to: policies)
        let demo = try CLI.run(["demo", "--db", db], env: ["ROUNDS_POLICIES": policies.path, "TERM": "xterm"])
        XCTAssertEqual(demo.status, 1, "no terminal here, but the demo inbox is built first: \(demo.stderr)")
        let list = policies.appendingPathComponent("lists/en/offensive.txt")
        let text = try String(contentsOf: list, encoding: .utf8)
        try Data((text + "brokenterm | not-a-weight | profane | 1\n").utf8).write(to: list)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).count
        let errFile = tmp!.appendingPathComponent("stderr").path
        let command = "env -u NO_COLOR -u ROUNDS_DB TERM=tmux-256color LANG=C.UTF-8 \(q(CLI.binary.path)) console --db \(q(db)) "
            + "--policies \(q(policies.path)) 2> \(q(errFile)); echo $? > \(q(exitFile)); sleep 120"
        try startServer(["-u", "-f", "/dev/null", "new-session", "-d", "-s", "s", "-x", "100", "-y", "30", command])
        let deadline = Date().addingTimeInterval(30)
        while !FileManager.default.fileExists(atPath: exitFile) && Date() < deadline { usleep(100_000) }
        let status = try String(contentsOfFile: exitFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let stderr = try String(contentsOfFile: errFile, encoding: .utf8)
        XCTAssertEqual(status, "1", stderr)
        XCTAssertTrue(stderr.contains("lists/en/offensive.txt:\(lines)"), "names the file and line: \(stderr)")
        XCTAssertFalse(try capture().contains { $0.contains(" Urgent ") }, "the console's screen is gone once it has stopped")
    }

    private func tmux(_ args: [String]) throws -> ProcessOutput {
        try Self.exec(tmuxPath, ["-L", socket] + args)
    }

    /// Starts the tmux server with `new-session -d` and waits until the session exists.
    ///
    /// Not through `exec`: the server forks from the client and inherits every descriptor it
    /// had, including the one Foundation's `Process` watches to learn that the client ended,
    /// so waiting for that client would last as long as the server.
    private func startServer(_ args: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tmuxPath)
        p.arguments = ["-L", socket] + args
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "TMUX")
        p.environment = env
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(10)
        while try tmux(["has-session", "-t", "s"]).status != 0 {
            if Date() > deadline { throw E2EError("the tmux session did not start") }
            usleep(50_000)
        }
    }

    private func keys(_ names: String...) throws {
        let r = try tmux(["send-keys", "-t", "s"] + names)
        if r.status != 0 { throw E2EError("tmux send-keys \(names) failed: \(r.stderr)") }
    }

    private func literal(_ text: String) throws {
        let r = try tmux(["send-keys", "-t", "s", "-l", text])
        if r.status != 0 { throw E2EError("tmux send-keys -l \(text) failed: \(r.stderr)") }
    }

    /// The visible screen, one string per row (tmux trims trailing blanks).
    private func capture() throws -> [String] {
        let r = try tmux(["capture-pane", "-t", "s", "-p"])
        var lines = r.stdout.components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    /// Polls the screen until `ok` holds; fails with the last screen after `timeout` seconds.
    private func waitFor(_ what: String, timeout: TimeInterval = 10, file: StaticString = #filePath, line: UInt = #line,
                         _ ok: ([String]) throws -> Bool) throws -> [String] {
        let deadline = Date().addingTimeInterval(timeout)
        var last: [String] = []
        while true {
            last = try capture()
            if try ok(last) { return last }
            if Date() > deadline { break }
            usleep(50_000)
        }
        XCTFail("timed out after \(Int(timeout)) s waiting for \(what); the screen:\n\(dump(last))", file: file, line: line)
        throw E2EError("timed out waiting for \(what)")
    }

    // MARK: - Reading the screen

    /// Row `i` of a captured screen, or "" if the screen is shorter (no crash mid-test).
    private func row(_ s: [String], _ i: Int) -> String { s.indices.contains(i) ? s[i] : "" }

    /// The status line: second to last row.
    private func status(_ s: [String]) -> String { s.count >= 2 ? s[s.count - 2] : "" }

    /// The count after a queue's title in the queue bar, e.g. `Urgent 15`.
    private func count(_ title: String, _ bar: String) -> Int? {
        firstMatch("(?:^| )\(title) (\\d+)", in: bar).flatMap { Int($0) }
    }

    /// The message id in the separator line above the detail, `── #183 X mention PUBLIC · open ──`.
    private func selectedID(_ s: [String]) -> Int? {
        s.lazy.compactMap { self.firstMatch(#"^── #(\d+) "#, in: $0) }.first.flatMap { Int($0) }
    }

    /// The list rows: from row 2 to the separator, non-empty.
    private func listRows(_ s: [String]) -> [String] {
        Array(s.dropFirst().prefix { !$0.hasPrefix("──") }).filter { !$0.isEmpty }
    }

    private func firstMatch(_ pattern: String, in text: String, group: Int = 1) -> String? {
        guard let re = try? NSRegularExpression(pattern: pattern),
              let m = re.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
              let r = Range(m.range(at: group), in: text) else { return nil }
        return String(text[r])
    }

    private func dump(_ s: [String]) -> String {
        s.enumerated().map { String(format: "%2d|", $0.offset + 1) + $0.element }.joined(separator: "\n")
    }

    /// Terminal columns of a captured line: wide East Asian and emoji scalars take two, combining
    /// marks and variation selectors none (close enough to wcwidth for the demo's text).
    static func displayWidth(_ line: String) -> Int {
        line.unicodeScalars.reduce(0) { w, s in
            let v = s.value
            if (0x0300...0x036F).contains(v) || (0x200B...0x200F).contains(v) || (0xFE00...0xFE0F).contains(v) { return w }
            let wide = (0x1100...0x115F).contains(v) || (0x2E80...0xA4CF).contains(v) || (0xAC00...0xD7A3).contains(v)
                || (0xF900...0xFAFF).contains(v) || (0xFE30...0xFE4F).contains(v) || (0xFF00...0xFF60).contains(v)
                || (0xFFE0...0xFFE6).contains(v) || (0x1F300...0x1F64F).contains(v) || (0x1F900...0x1F9FF).contains(v)
                || (0x20000...0x3FFFD).contains(v)
            return w + (wide ? 2 : 1)
        }
    }

    // MARK: - CLI and processes

    private func outboxEntries() throws -> [[String: Any]] {
        let out = try CLI.run(["outbox", "--db", db])
        XCTAssertEqual(out.status, 0, out.stderr)
        return try out.stdout.split(separator: "\n").map { line in
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], String(line))
        }
    }

    private func run(_ tool: String, _ args: [String]) throws -> String {
        let r = try Self.exec(tool, args)
        if r.status != 0 { throw E2EError("\(tool) \(args) failed (\(r.status)): \(r.stderr)") }
        return r.stdout
    }

    /// Runs a tool to its end, its output captured through files.
    static func exec(_ tool: String, _ args: [String]) throws -> ProcessOutput {
        let dir = FileManager.default.temporaryDirectory
        let outURL = dir.appendingPathComponent("rounds-e2e-out-\(UUID().uuidString)")
        let errURL = dir.appendingPathComponent("rounds-e2e-err-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
        }
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        defer { try? out.close(); try? err.close() }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = args
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "TMUX")  // never talk to a tmux the tests happen to run in
        p.environment = env
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        return ProcessOutput(status: p.terminationStatus,
                             stdout: String(decoding: (try? Data(contentsOf: outURL)) ?? Data(), as: UTF8.self),
                             stderr: String(decoding: (try? Data(contentsOf: errURL)) ?? Data(), as: UTF8.self))
    }

    static func which(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let dirs = path.split(separator: ":").map(String.init) + ["/usr/bin", "/usr/local/bin", "/opt/homebrew/bin"]
        return dirs.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Single-quotes a word for the shell tmux runs the command with.
    private func q(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }
}

struct E2EError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
