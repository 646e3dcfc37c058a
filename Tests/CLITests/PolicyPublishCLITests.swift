import Foundation
import XCTest

/// Policies published into the inbox by a lead: versioned, audited with what changed, used by
/// ingest and the console unless a lead names other policies.
final class PolicyPublishCLITests: XCTestCase {
    static let policies = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Policies")

    func testALeadPublishesVersionsThatIngestUses() throws {
        let tmp = try TempDir()
        let db = tmp.path("inbox.sqlite")
        let first = try CLI.run(["policy", "publish", "--db", db, "--policies", Self.policies.path])
        XCTAssertEqual(first.status, 1, "no team yet: nobody publishes")
        XCTAssertTrue(first.stderr.contains("only a lead"), first.stderr)
        XCTAssertEqual(try CLI.run(["init", "--db", db]).status, 0)
        let v1 = try CLI.run(["policy", "publish", "--db", db, "--policies", Self.policies.path])
        XCTAssertEqual(v1.status, 0, v1.stdout + v1.stderr)
        XCTAssertTrue(v1.stdout.contains("published "), v1.stdout)
        let again = try CLI.run(["policy", "publish", "--db", db, "--policies", Self.policies.path])
        XCTAssertTrue(again.stdout.contains("already in force"), again.stdout)

        // A compliance edit in a copy: a new spam phrase.
        let edited = tmp.url.appendingPathComponent("Policies")
        try FileManager.default.copyItem(at: Self.policies, to: edited)
        let list = edited.appendingPathComponent("lists/en/spam.txt")
        try (String(contentsOf: list, encoding: .utf8) + "\nzorblax tablets | 0.95 | commercial\n").write(to: list, atomically: true, encoding: .utf8)
        let v2 = try CLI.run(["policy", "publish", "--db", db, "--policies", edited.path])
        XCTAssertEqual(v2.status, 0, v2.stdout + v2.stderr)
        XCTAssertTrue(v2.stdout.contains("1 changed: ~lists/en/spam.txt"), v2.stdout)

        let versions = try CLI.sqliteRows(db, "SELECT version FROM policy_set ORDER BY published_at, rowid")
        XCTAssertEqual(versions.count, 2)
        let show = try CLI.run(["policy", "show", "--db", db])
        XCTAssertTrue(show.stdout.contains("* \(versions[1])"), "the newer one is in force: \(show.stdout)")
        let diff = try CLI.run(["policy", "diff", versions[0], versions[1], "--db", db])
        XCTAssertEqual(diff.status, 0, diff.stderr)
        XCTAssertTrue(diff.stdout.contains("--- lists/en/spam.txt") && diff.stdout.contains(": zorblax tablets | 0.95 | commercial"), diff.stdout)
        XCTAssertEqual(try CLI.sqliteRows(db, "SELECT count(*) FROM action WHERE action = 'policy_publish'"), ["2"])

        // A broken set is not published; the one in force stays.
        try Data("flag: nonsense\n".utf8).write(to: edited.appendingPathComponent("flags/spam.yml"))
        XCTAssertEqual(try CLI.run(["policy", "publish", "--db", db, "--policies", edited.path]).status, 1)
        XCTAssertEqual(try CLI.sqliteRows(db, "SELECT value FROM setting WHERE key = 'policy_in_force'"), [versions[1]])

        // Ingest without --policies classifies with the published version, not the checkout's.
        let input = try tmp.write("in.jsonl", #"{"platform": "facebook", "kind": "comment", "id": "1", "text": "buy zorblax tablets today"}"# + "\n")
        let ingest = try CLI.run(["ingest", "--db", db, input], env: ["ROUNDS_POLICIES": ""])
        XCTAssertEqual(ingest.status, 0, ingest.stderr)
        XCTAssertEqual(try CLI.sqliteRows(db, "SELECT flag FROM message_flag"), ["spam"])
        XCTAssertEqual(try CLI.sqliteRows(db, "SELECT count(*) FROM action WHERE action = 'policies_override'"), ["0"], "the published ones are not an override")
    }
}
