import Foundation
import XCTest

/// The team lives in the inbox: a moderator cannot make themselves a lead with a copied
/// policies folder, only a lead changes the team, every change is audited, and the last lead
/// stays. Checked through the built binary (the test's own login is the one acting).
final class TeamCLITests: XCTestCase {
    static let policies = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Policies")
    static var login: String { getpwuid(geteuid()).map { String(cString: $0.pointee.pw_name) } ?? "root" }

    func inbox(_ tmp: TempDir) throws -> String {
        let db = tmp.path("inbox.sqlite")
        let input = try tmp.write("in.jsonl", #"{"platform": "x", "kind": "mention", "id": "1", "text": "my chest hurts, I want to end my life"}"# + "\n")
        XCTAssertEqual(try CLI.run(["ingest", "--db", db, "--policies", Self.policies.path, input]).status, 0)
        return db
    }

    func testAForgedPoliciesFolderGrantsNothing() throws {
        let tmp = try TempDir()
        let db = try inbox(tmp)
        // A copied Policies/ naming the caller lead: not a source of authority.
        let forged = tmp.url.appendingPathComponent("Policies")
        try FileManager.default.copyItem(at: Self.policies, to: forged)
        try Data("leads: [\(Self.login)]\n".utf8).write(to: forged.appendingPathComponent("team.yml"))
        for args in [["export", "--since", "2000-01-01T00:00:00Z", "--include-text"], ["reclassify"]] {
            let r = try CLI.run(args + ["--db", db, "--policies", forged.path])
            XCTAssertEqual(r.status, 1, "\(args): \(r.stdout)")
            XCTAssertTrue(r.stderr.contains("only a lead"), r.stderr)
        }
        XCTAssertEqual(try CLI.sqliteRows(db, "SELECT action || ' ' || detail FROM action ORDER BY id"),
                       ["refused export --include-text: leads only", "refused reclassify: leads only"], "the attempts are on the record")
        XCTAssertEqual(try CLI.run(["team", "add", "mallory", "--role", "lead", "--db", db]).status, 1, "no lead yet: nobody changes the team")
        XCTAssertEqual(try CLI.sqliteRows(db, "SELECT count(*) FROM team_member"), ["0"])
    }

    func testLeadsChangeTheTeamAndEveryChangeIsAudited() throws {
        let tmp = try TempDir()
        let db = try inbox(tmp)
        XCTAssertEqual(try CLI.run(["init", "--db", db]).status, 0)
        XCTAssertEqual(try CLI.run(["init", "--db", db]).status, 1, "a second init is refused")
        XCTAssertEqual(try CLI.run(["team", "add", "bob", "--role", "moderator", "--db", db]).status, 0)
        XCTAssertEqual(try CLI.run(["team", "add", "bob", "--role", "trainee", "--db", db]).status, 0)
        let bad = try CLI.run(["team", "add", "ev\u{1B}[2Jil", "--role", "lead", "--db", db])
        XCTAssertEqual(bad.status, 1)
        XCTAssertFalse(bad.stderr.unicodeScalars.contains("\u{1B}"), "the refusal quotes the login sanitised")
        let last = try CLI.run(["team", "remove", Self.login, "--db", db])
        XCTAssertEqual(last.status, 1)
        XCTAssertTrue(last.stderr.contains("last lead"), last.stderr)
        XCTAssertEqual(try CLI.run(["team", "add", Self.login, "--role", "moderator", "--db", db]).status, 1, "nor demoted")
        let list = try CLI.run(["team", "--db", db])
        XCTAssertEqual(list.stdout, "lead       \(Self.login)\ntrainee    bob\n")
        XCTAssertEqual(try CLI.sqliteRows(db, "SELECT moderator || ' ' || action || ' ' || detail || ' ' || coalesce(state_before, '-') || ' ' || state_after FROM action WHERE action LIKE 'team_%' ORDER BY id"), [
            "\(Self.login) team_add \(Self.login) - lead",
            "\(Self.login) team_add bob - moderator",
            "\(Self.login) team_role bob moderator trainee",
        ])
        XCTAssertEqual(try CLI.run(["audit", "verify", "--db", db]).status, 0)
        // Policies of one's own choosing: a lead's use is recorded, a trainee's refused and recorded.
        let ingestInput = try tmp.write("more.jsonl", #"{"platform": "x", "kind": "mention", "id": "2", "text": "hello"}"# + "\n")
        let lead = try CLI.run(["ingest", "--db", db, "--policies", Self.policies.path, ingestInput])
        XCTAssertEqual(lead.status, 0, lead.stderr)
        XCTAssertEqual(try CLI.sqliteRows(db, "SELECT count(*) FROM action WHERE action = 'policies_override'"), ["1"])
        XCTAssertEqual(try CLI.run(["team", "add", "bob", "--role", "lead", "--db", db]).status, 0)
        XCTAssertEqual(try CLI.run(["team", "add", Self.login, "--role", "trainee", "--db", db]).status, 0)
        let trainee = try CLI.run(["ingest", "--db", db, "--policies", Self.policies.path, ingestInput])
        XCTAssertEqual(trainee.status, 1)
        XCTAssertTrue(trainee.stderr.contains("only a lead"), trainee.stderr)
        XCTAssertEqual(try CLI.sqliteRows(db, "SELECT count(*) FROM action WHERE action = 'refused'"), ["1"])
        // A simulated moderator cannot act in a real team's inbox.
        let shift = try CLI.run(["bench", "shift", "--db", db, "--as", "bob", "--actions", "1", "--queue", "all"])
        XCTAssertEqual(shift.status, 1, shift.stdout)
    }

    /// An inbox used before teams lived in it takes its team.yml once, audited.
    func testAnUpgradedInboxTakesItsTeamFileOnce() throws {
        let tmp = try TempDir()
        let db = try inbox(tmp)
        // What the previous release left: messages, no team, the upgrade pending.
        _ = try CLI.sqliteRows(db, "INSERT INTO setting (key, value) VALUES ('team_from_file_pending', '1'); SELECT 1;")
        let policies = tmp.url.appendingPathComponent("Policies")
        try FileManager.default.copyItem(at: Self.policies, to: policies)
        try Data("leads: [\(Self.login)]\nmoderators: [bob]\n".utf8).write(to: policies.appendingPathComponent("team.yml"))
        let first = try CLI.run(["reclassify", "--db", db, "--policies", policies.path])
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stderr.contains("taken once from"), first.stderr)
        XCTAssertEqual(try CLI.sqliteRows(db, "SELECT role || ' ' || login FROM team_member ORDER BY login"), ["moderator bob", "lead \(Self.login)"].sorted { $0.hasSuffix("bob") && !$1.hasSuffix("bob") ? false : $0 < $1 }.sorted(by: { a, b in a.split(separator: " ")[1] < b.split(separator: " ")[1] }))
        // The file no longer counts: naming someone else changes nothing.
        try Data("leads: [mallory]\n".utf8).write(to: policies.appendingPathComponent("team.yml"))
        XCTAssertEqual(try CLI.run(["reclassify", "--db", db, "--policies", policies.path]).status, 0)
        XCTAssertEqual(try CLI.sqliteRows(db, "SELECT count(*) FROM team_member WHERE login = 'mallory'"), ["0"])
        XCTAssertEqual(try CLI.sqliteRows(db, "SELECT count(*) FROM action WHERE action = 'team_add' AND role = 'system'"), ["2"])
    }
}
