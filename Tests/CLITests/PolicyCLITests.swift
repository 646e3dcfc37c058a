import Foundation
import XCTest

/// `rounds classify` output shape and `rounds reclassify` after a policy edit, on the binary.
final class PolicyCLITests: XCTestCase {
    static let policies = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Policies")

    func testClassifyPrintsOneLinePerInputInTheDocumentedShape() throws {
        let input = """
        {"id": "a", "text": "chest pain right now and I can't breathe"}
        not json
        {"text": "Thank you, the nurses were wonderful", "kind": "review", "rating": 5}
        """
        let out = try CLI.run(["classify", "--policies", Self.policies.path, "--format", "jsonl", "-"], stdin: Data(input.utf8))
        XCTAssertEqual(out.status, 1, "a bad line makes the run exit 1")
        XCTAssertTrue(out.stderr.hasPrefix("2: "), out.stderr)
        let lines = out.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 2)
        let first = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        XCTAssertEqual(Set(first.keys), ["id", "language", "sentiment", "flags", "template"])
        XCTAssertEqual(first["id"] as? String, "a")
        let flags = try XCTUnwrap(first["flags"] as? [[String: Any]])
        let emergency = try XCTUnwrap(flags.first { $0["flag"] as? String == "emergency" })
        XCTAssertEqual(emergency["decision"] as? String, "act")
        XCTAssertEqual(emergency["severity"] as? String, "imminent")
        let evidence = try XCTUnwrap((emergency["evidence"] as? [[String: Any]])?.first)
        let span = try XCTUnwrap(evidence["span"] as? [Int])
        let text = "chest pain right now and I can't breathe"
        let scalars = Array(text.unicodeScalars)
        XCTAssertEqual(String(String.UnicodeScalarView(scalars[span[0]..<span[1]])), evidence["text"] as? String, "spans point into the original text")
        let second = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: Any])
        XCTAssertEqual(second["id"] as? Int, 3, "without an id, the line number")
        XCTAssertEqual(second["sentiment"] as? String, "positive")
        XCTAssertTrue((second["flags"] as? [[String: Any]])?.contains { $0["flag"] as? String == "review_feedback" } == true)
    }

    func testReclassifyAfterAPolicyEditReportsWhatChanged() throws {
        let tmp = try TempDir()
        let policies = tmp.url.appendingPathComponent("Policies")
        try FileManager.default.copyItem(at: Self.policies, to: policies)
        let db = tmp.path("inbox.sqlite")
        let file = try tmp.write("in.jsonl", """
            {"platform": "facebook", "kind": "comment", "id": "1", "text": "buy zorblax tablets today"}
            {"platform": "facebook", "kind": "comment", "id": "2", "text": "what time does the lab open"}
            """)
        XCTAssertEqual(try CLI.run(["ingest", "--db", db, "--policies", policies.path, file]).status, 0)
        let notLead = try CLI.run(["reclassify", "--db", db, "--policies", policies.path])
        XCTAssertEqual(notLead.status, 1, "reclassifying is for leads, and the inbox has no team yet")
        XCTAssertTrue(notLead.stderr.contains("only a lead"), notLead.stderr)
        XCTAssertEqual(try CLI.run(["init", "--db", db]).status, 0)
        let unchanged = try CLI.run(["reclassify", "--db", db, "--policies", policies.path])
        XCTAssertEqual(unchanged.status, 0, unchanged.stderr)
        XCTAssertTrue(unchanged.stdout.contains("reclassified 2 messages") && unchanged.stdout.contains(": 0 changed"), unchanged.stdout)

        // The compliance team adds a spam phrase; the existing message is re-marked.
        let list = policies.appendingPathComponent("lists/en/spam.txt")
        let handle = try FileHandle(forWritingTo: list)
        handle.seekToEndOfFile()
        handle.write(Data("\nzorblax tablets | 0.95 | commercial\n".utf8))
        try handle.close()
        let changed = try CLI.run(["reclassify", "--db", db, "--policies", policies.path])
        XCTAssertEqual(changed.status, 0, changed.stderr)
        XCTAssertTrue(changed.stdout.contains(": 1 changed"), changed.stdout)
        XCTAssertTrue(changed.stdout.contains("new -> offensive: 1"), "spam goes to the Offensive lane: \(changed.stdout)")
        let audit = try CLI.run(["audit", "--db", db])
        XCTAssertTrue(audit.stdout.contains("reclassify"), audit.stdout)
    }
}
