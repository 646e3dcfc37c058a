import Console
import ConsoleAdapters
import Foundation
import InboxModel
import Store
import XCTest

/// The audit log and the compliance export, checked through the built binary and the
/// sqlite3 CLI (tampering is done the way a person would do it).
final class AccountabilityCLITests: XCTestCase {
    /// The organisation's day (Policies/organization.yml: America/New_York) the seeded inbox
    /// lies in, as `--date` takes it.
    static let zone = TimeZone(identifier: "America/New_York")!
    static var login: String { getpwuid(geteuid()).map { String(cString: $0.pointee.pw_name) } ?? "root" }
    static func day(of date: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = zone
        f.dateFormat = "yyyy-MM-dd"
        return f.string(from: date)
    }

    /// An inbox with a few messages and actions by a lead, one of them with hostile text. The
    /// messages arrive at least a second into the organisation's day, so the report of that
    /// day holds them whatever the time of the run.
    func seededInbox(_ tmp: TempDir) throws -> String {
        let path = tmp.path("inbox.sqlite")
        let inbox = try InboxDatabase(path: path)
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = Self.zone
        let dayStart = cal.startOfDay(for: Date())
        func arrived(_ ago: TimeInterval) -> Date { max(Date().addingTimeInterval(-ago), dayStart.addingTimeInterval(1)) }
        let hostile = "=HYPERLINK(\"http://evil.example\")\u{1B}]52;c;cGF5bG9hZA==\u{07}\u{202E}"
        try inbox.store([
            ClassifiedMessage(IncomingMessage(platform: .facebook, kind: .comment, externalID: "c1", authorHandle: "@ana",
                                              authorName: "+Ana, \"the\" Patient", text: hostile, receivedAt: arrived(600))),
            ClassifiedMessage(IncomingMessage(platform: .x, kind: .mention, externalID: "t2", text: "hello", receivedAt: arrived(300))),
        ])
        // The test's own login leads the inbox (the CLI runs as it); "al" is a lead who acted.
        try inbox.makeFirstLead(Self.login)
        try inbox.setMember("al", role: .lead, by: Self.login)
        let store = SQLiteConsoleStore(inbox: inbox, role: "lead")
        let ids = try store.page(queue: .all, query: .all, moderator: "al", anchor: .start, limit: 5).map(\.id)
        _ = try store.perform(.hide(message: ids[1], reasonCode: "spam"), moderator: "al").get()
        _ = try store.perform(.queueReply(message: ids[0], text: "-1+2 call us", templateID: "t", visibility: .public, override: nil), moderator: "al").get()
        _ = try store.perform(.note(message: ids[0], text: "@SUM(A1)"), moderator: "al").get()
        return path
    }

    func sqlite(_ db: String, _ sql: String) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        p.arguments = [db, sql]
        try p.run()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, sql)
    }

    func testVerifyDetectsEditsDeletesAndReordering() throws {
        let tmp = try TempDir()
        let db = try seededInbox(tmp)
        let ok = try CLI.run(["audit", "verify", "--db", db])
        XCTAssertEqual(ok.status, 0, ok.stderr)
        XCTAssertEqual(ok.stdout, "5 events, chain intact\n", "two team changes and three actions")

        // The triggers refuse a direct edit.
        let refused = Process()
        refused.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        refused.arguments = [db, "UPDATE action SET moderator = 'mallory' WHERE id = 2"]
        refused.standardError = Pipe()
        try refused.run()
        refused.waitUntilExit()
        XCTAssertNotEqual(refused.terminationStatus, 0)

        let cases: [(String, String)] = [
            ("UPDATE action SET reason_code = 'other' WHERE id = 1", "event 1 was altered"),
            ("DELETE FROM action WHERE id = 2", "event 2 is missing"),
            ("UPDATE action SET id = 9 WHERE id = 1; UPDATE action SET id = 1 WHERE id = 2; UPDATE action SET id = 2 WHERE id = 9", "event 1"),
        ]
        for (sql, expected) in cases {
            let copy = tmp.path("tampered-\(UUID().uuidString).sqlite")
            try FileManager.default.copyItem(atPath: db, toPath: copy)
            try sqlite(copy, "PRAGMA journal_mode=DELETE")
            try sqlite(copy, "DROP TRIGGER action_is_append_only_update; DROP TRIGGER action_is_append_only_delete; " + sql)
            let out = try CLI.run(["audit", "verify", "--db", copy])
            XCTAssertEqual(out.status, 1, sql)
            XCTAssertTrue(out.stdout.contains("chain broken at") && out.stdout.contains(expected), "\(sql): \(out.stdout)")
        }
    }

    func testExportIsMinimalEscapedPrivateAndHashed() throws {
        let tmp = try TempDir()
        let db = try seededInbox(tmp)
        let today = ISO8601DateFormatter().string(from: Date().addingTimeInterval(-3600))  // before every action, whatever the clock
        let csv = tmp.path("day.csv")
        let out = try CLI.run(["export", "--db", db, "--since", "\(today)", "-o", csv])
        XCTAssertEqual(out.status, 0, out.stderr)
        let text = try String(contentsOfFile: csv, encoding: .utf8)
        let lines = text.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        XCTAssertEqual(lines.count, 6, text) // header, 2 team changes, 3 actions
        XCTAssertTrue(lines[0].hasPrefix("event_id,time,moderator,role,action,reason_code,platform,external_id"))
        XCTAssertFalse(text.contains("Ana"), "no author names by default")
        XCTAssertFalse(text.contains("HYPERLINK"), "no message bodies by default")
        XCTAssertTrue(text.contains(",'-1+2 call us,"), "a formula-leading reply cell is neutralised: \(text)")
        XCTAssertTrue(text.contains(",spam,"))
        var st = stat()
        XCTAssertEqual(stat(csv, &st), 0)
        XCTAssertEqual(st.st_mode & 0o777, 0o600)
        let sum = try String(contentsOfFile: csv + ".sha256", encoding: .utf8)
        XCTAssertTrue(sum.hasSuffix("  day.csv\n"))
        XCTAssertEqual(String(sum.prefix(64)), InboxDigest.sha256Hex(Array(try Data(contentsOf: URL(fileURLWithPath: csv)))))

        // With text: hostile cells are neutralised and no raw ESC reaches the file.
        let full = try CLI.run(["export", "--db", db, "--since", "\(today)", "--include-text", "--format", "csv"])
        XCTAssertEqual(full.status, 0, full.stderr)
        XCTAssertFalse(full.stdout.contains("\u{1B}"))
        XCTAssertFalse(full.stdout.contains("\u{202E}"))
        XCTAssertTrue(full.stdout.contains("\"'=HYPERLINK(\"\"http://evil.example\"\")\u{241B}]52;c;cGF5bG9hZA==\u{2407}<U+202E>\""), full.stdout)
        XCTAssertTrue(full.stdout.contains("\"'+Ana, \"\"the\"\" Patient\""), full.stdout)
        XCTAssertTrue(full.stdout.contains("'@ana"))

        let json = try CLI.run(["export", "--db", db, "--since", "\(today)", "--include-text", "--format", "json"])
        let parsed = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]]
        XCTAssertEqual(parsed?.count, 7, "2 team changes, 3 actions and the two exports before it, each audited")
        XCTAssertFalse(json.stdout.contains("\u{1B}"))
        XCTAssertTrue(json.stdout.contains("\\u001b]52"))

        // Both exports are in the audit log, the one with text named as such.
        let audit = try CLI.run(["audit", "--db", db])
        XCTAssertTrue(audit.stdout.contains(" export "), audit.stdout)
        XCTAssertTrue(audit.stdout.contains("export_with_text"), audit.stdout)
        XCTAssertEqual(try CLI.run(["audit", "verify", "--db", db]).status, 0)
    }

    func testReportTextAndSelfContainedHTML() throws {
        let tmp = try TempDir()
        let db = try seededInbox(tmp)
        let day = Self.day(of: Date())
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let dir = root.appendingPathComponent("Policies").path
        let text = try CLI.run(["report", "--db", db, "--policies", dir, "--date", day])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("Messages received: 2"), text.stdout)
        XCTAssertTrue(text.stdout.contains("hide"), "actions by moderator are listed: \(text.stdout)")
        let html = tmp.path("report.html")
        let out = try CLI.run(["report", "--db", db, "--policies", dir, "--date", day, "--format", "html", "-o", html])
        XCTAssertEqual(out.status, 0, out.stderr)
        let page = try String(contentsOfFile: html, encoding: .utf8)
        XCTAssertTrue(page.hasPrefix("<!doctype html>"))
        XCTAssertTrue(page.contains("<svg"))
        XCTAssertFalse(page.contains("<script"), "self-contained and inert")
        XCTAssertFalse(page.contains("\u{1B}"))
        var st = stat()
        XCTAssertEqual(stat(html, &st), 0)
        XCTAssertEqual(st.st_mode & 0o777, 0o600)
    }
}
