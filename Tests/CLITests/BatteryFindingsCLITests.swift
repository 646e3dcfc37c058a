import Foundation
import XCTest

/// What the reliability battery (`scripts/battery`) found in the commands' own output, one test
/// each: untrusted text reaching the terminal raw, output that was not valid JSON, a policy
/// file `rounds policy check` did not look at, a time that stopped ingest.
final class BatteryFindingsCLITests: XCTestCase {
    static let policies = ConsoleEndToEndTests.packageRoot.appendingPathComponent("Policies")

    /// Raw ESC, other C0 controls except tab and line feed, DEL, C1 controls and bidi controls.
    func unsafeScalars(_ s: String) -> [String] {
        s.unicodeScalars.filter { u in
            let v = u.value
            return (v < 0x20 && v != 0x0A && v != 0x09) || (0x7F...0x9F).contains(v) || (0x202A...0x202E).contains(v) || (0x2066...0x2069).contains(v)
        }.map { String(format: "U+%04X", $0.value) }
    }

    /// Rejection reasons quote the input ('starRating' ... found "..."): an OSC title sequence
    /// in a field went to the moderator's terminal as is (the git CVE-2024-52005 class).
    func testIngestRejectionsShowControlCharactersInsteadOfSendingThem() throws {
        let tmp = try TempDir()
        let input = try tmp.write("bad.jsonl", #"""
            {"reviewId": "r1", "starRating": "\u001b]0;PWNED\u0007\u009b6n"}
            {"platform": "x\u202e", "kind": "mention", "id": "2", "text": "t"}
            {"\u001b[2J": 1, "platform": "facebook", "kind": "comment", "id": "3", "text": "x", "created_at": "\u001b[21t"}
            """#)
        let r = try CLI.run(["ingest", "--db", tmp.path("i.sqlite"), "--policies", Self.policies.path, input])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 3, r.stderr)
        XCTAssertEqual(unsafeScalars(r.stderr), [], r.stderr)
        XCTAssertTrue(r.stderr.contains("\u{241B}]0;PWNED\u{2407}<U+009B>6n"), r.stderr)
    }

    /// `rounds outbox` printed JSONEncoder's output, which leaves C1 and bidi controls raw.
    func testOutboxEscapesEveryControlAndBidiCharacter() throws {
        let tmp = try TempDir()
        let db = tmp.path("o.sqlite")
        let input = try tmp.write("in.jsonl", #"{"platform": "facebook", "kind": "comment", "id": "abc\u202edcba\u009b31m", "text": "hello"}"# + "\n")
        XCTAssertEqual(try CLI.run(["ingest", "--db", db, "--policies", Self.policies.path, input]).status, 0)
        let shift = try CLI.run(["bench", "shift", "--db", db, "--as", "ana", "--actions", "1", "--queue", "all"])
        XCTAssertEqual(shift.status, 0, shift.stderr)
        var out = try CLI.run(["outbox", "--db", db])
        for _ in 0..<20 where out.stdout.isEmpty {  // the shift may have hidden or closed it instead: try again
            try? FileManager.default.removeItem(atPath: db)
            XCTAssertEqual(try CLI.run(["ingest", "--db", db, "--policies", Self.policies.path, input]).status, 0)
            _ = try CLI.run(["bench", "shift", "--db", db, "--as", "ana\(UUID().uuidString.prefix(4))", "--actions", "1", "--queue", "all"])
            out = try CLI.run(["outbox", "--db", db])
        }
        let line = try XCTUnwrap(out.stdout.split(separator: "\n").first, "no reply in the outbox")
        XCTAssertEqual(unsafeScalars(String(line)), [], String(line))
        let o = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        XCTAssertEqual(o["external_id"] as? String, "abc\u{202E}dcba\u{9B}31m", "the escapes decode to the same id")
    }

    /// `bench shift` wrote the moderator's name into its JSON lines unescaped.
    func testBenchShiftPrintsValidJSONWhateverTheName() throws {
        let tmp = try TempDir()
        let db = tmp.path("s.sqlite")
        let input = tmp.path("in.jsonl")
        XCTAssertEqual(try CLI.run(["bench", "generate", "--messages", "50", "--seed", "1", "-o", input]).status, 0)
        XCTAssertEqual(try CLI.run(["ingest", "--db", db, "--policies", Self.policies.path, input]).status, 0)
        let name = "ana \"the\" \\ mod\u{1B}]0;T\u{07}"
        let r = try CLI.run(["bench", "shift", "--db", db, "--as", name, "--actions", "3", "--queue", "all"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(unsafeScalars(r.stdout + r.stderr), [])
        let lines = r.stdout.split(separator: "\n")
        XCTAssertGreaterThanOrEqual(lines.count, 6)
        for line in lines {
            let o = try XCTUnwrap(try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not JSON: \(line)")
            XCTAssertEqual(o["moderator"] as? String, name)
        }
    }

    /// `rounds policy check` never read team.yml: a broken one passed, and only the console failed.
    func testPolicyCheckReportsABrokenTeamFile() throws {
        let tmp = try TempDir()
        let dir = tmp.url.appendingPathComponent("Policies")
        try FileManager.default.copyItem(at: Self.policies, to: dir)
        let team = dir.appendingPathComponent("team.yml")
        for broken in [Data("leads: [alice\nmoderators: [bob]\n".utf8), Data("leeds: [alice]\n".utf8), Data([0x6C, 0x65, 0xFF, 0x0A])] {
            try broken.write(to: team)
            let r = try CLI.run(["policy", "check", "--policies", dir.path])
            XCTAssertEqual(r.status, 1, r.stdout + r.stderr)
            XCTAssertTrue((r.stdout + r.stderr).range(of: #"team\.yml:\d+: "#, options: .regularExpression) != nil, r.stdout + r.stderr)
        }
    }

    /// A time of 1e300 stopped ingest with a fatal error (signal), losing the batch in flight.
    func testOutOfRangeTimeIsARejectionNotACrash() throws {
        let tmp = try TempDir()
        let input = try tmp.write("t.jsonl", #"""
            {"platform": "x", "kind": "mention", "id": "1", "text": "a", "created_at": 1e300}
            {"platform": "x", "kind": "mention", "id": "2", "text": "b"}
            """#)
        let r = try CLI.run(["ingest", "--db", tmp.path("t.sqlite"), "--policies", Self.policies.path, input])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertEqual(r.stdout.split(separator: "\n").last, "ingested 1 new, 0 updated, 0 duplicates, 1 rejected")
        XCTAssertTrue(r.stderr.contains("t.jsonl:1: 'created_at' is not a time"), r.stderr)
    }
}
