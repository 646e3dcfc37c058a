import Foundation
import XCTest
@testable import Policy
import InboxModel

final class LoadingTests: XCTestCase {
    func testShippedPoliciesLoadWithVersionAndOrganization() throws {
        let p = try Fixture.policies()
        XCTAssertEqual(p.version.count, 32)
        XCTAssertEqual(p.organization.numbers.crisis, "988")
        XCTAssertEqual(p.organization.replyUndoSeconds, 10)
        XCTAssertEqual(p.organization.responseTarget("emergency"), 15)
        XCTAssertEqual(Set(p.flagPolicies.keys), Set(FlagName.allCases))
        XCTAssertEqual(Set(p.removalReasons.map(\.code)), ["personal_attack", "harassment", "hate", "threat", "profanity", "spam", "commercial", "misinformation", "phi"])
        XCTAssertNotNil(p.escalation[.emergency])
        // the same files give the same version
        XCTAssertEqual(try PolicySet.load(from: Fixture.policiesURL).version, p.version)
    }

    /// The examples are decoded only for `policy check`, but they stay part of the version, and a
    /// broken one is reported there with its file and line.
    func testExamplesCountInTheVersionAndABrokenOneFailsTheCheckOnly() throws {
        let dir = try Fixture.copyOfPolicies()
        defer { try? FileManager.default.removeItem(at: dir) }
        let before = try PolicySet.load(from: dir).version
        try Fixture.edit(dir, "tests/spam.yml") { $0 + "  - text: \"free followers\"\n    expect: maybe\n" }
        let p = try PolicySet.load(from: dir)
        XCTAssertNotEqual(p.version, before)
        XCTAssertThrowsError(try p.runExamples()) { e in
            let d = (e as? PolicyError)?.description ?? "\(e)"
            XCTAssertTrue(d.hasPrefix("Policies/tests/spam.yml:"), d)
            XCTAssertTrue(d.contains("expect 'maybe'"), d)
        }
    }

    /// organization.yml and team.yml are read without Yams's regular-expression typing (the
    /// console reads them before its first frame): numbers still decode, text stays text.
    func testOrganizationAndTeamReadWithoutImplicitTyping() throws {
        let dir = try Fixture.copyOfPolicies()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Fixture.edit(dir, "organization.yml") {
            $0.replacingOccurrences(of: "phone: \"(617) 555-0142\"", with: "phone: 6175550142")
              .replacingOccurrences(of: "reply_undo_seconds: 10", with: "reply_undo_seconds: 0x1e")
              .replacingOccurrences(of: "country: \"US\"", with: "country: NO")
        }
        let org = try PolicySet.loadOrganization(from: dir)
        XCTAssertEqual(org.phone, "6175550142")
        XCTAssertEqual(org.country, "NO")  // Norway, not a boolean
        XCTAssertEqual(org.replyUndoSeconds, 30)
        XCTAssertEqual(org.responseTarget("emergency"), 15)
        let full = try PolicySet.load(from: dir).organization
        XCTAssertEqual(full.phone, org.phone)
        XCTAssertEqual(full.replyUndoSeconds, org.replyUndoSeconds)

        try Fixture.edit(dir, "organization.yml") { $0.replacingOccurrences(of: "reply_undo_seconds: 0x1e", with: "reply_undo_seconds: ~") }
        XCTAssertEqual(try PolicySet.loadOrganization(from: dir).replyUndoSeconds, 10)
        try Fixture.edit(dir, "organization.yml") { $0.replacingOccurrences(of: "reply_undo_seconds: ~", with: "reply_undo_seconds: ten") }
        func lineOf(_ text: String) -> Int {
            let lines = (try? String(contentsOf: dir.appendingPathComponent("organization.yml"), encoding: .utf8))?.components(separatedBy: "\n")
            return (lines?.firstIndex { $0.contains(text) } ?? -2) + 1
        }
        XCTAssertThrowsError(try PolicySet.loadOrganization(from: dir)) { e in
            XCTAssertEqual("\(e)", "Policies/organization.yml:\(lineOf("reply_undo_seconds: ten")): 'reply_undo_seconds' has the wrong type (expected a whole number)")
        }
        try Fixture.edit(dir, "organization.yml") {
            $0.replacingOccurrences(of: "reply_undo_seconds: ten", with: "reply_undo_seconds: 10").replacingOccurrences(of: "  emergency: 15", with: "  emergency: soon")
        }
        XCTAssertThrowsError(try PolicySet.load(from: dir)) { e in
            XCTAssertEqual("\(e)", "Policies/organization.yml:\(lineOf("emergency: soon")): 'response_targets_minutes.emergency' has the wrong type (expected a whole number)")
        }
        try Fixture.edit(dir, "organization.yml") { $0.replacingOccurrences(of: "timezone: \"America/New_York\"\n", with: "") }
        XCTAssertThrowsError(try PolicySet.loadOrganization(from: dir)) { e in
            XCTAssertTrue("\(e)".hasSuffix(": missing key 'timezone'"), "\(e)")
        }

        let team = dir.appendingPathComponent("team.yml")
        try "# leads first\nleads: [alice, 1001]\nmoderators:\n  - bob\n".write(to: team, atomically: true, encoding: .utf8)
        XCTAssertEqual(try Team.load(from: dir), Team(leads: ["alice", "1001"], moderators: ["bob"]))
        try "leads: [alice]\nleeds: [bob]\n".write(to: team, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Team.load(from: dir)) { e in
            XCTAssertEqual((e as? PolicyError)?.line, 2)
            XCTAssertTrue("\(e)".contains("unknown key 'leeds'"), "\(e)")
        }
        try FileManager.default.removeItem(at: team)
        XCTAssertEqual(try Team.load(from: dir), Team())
    }

    /// A word list saved with Windows line ends reads as the same lines (it read as one line),
    /// and a field loses the blanks around it, no-break spaces included.
    func testWordListLinesAndFields() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("list-\(UUID().uuidString).txt")
        defer { try? FileManager.default.removeItem(at: url) }
        try "knee pain | 1.5 | joint\r\n# a comment\r\n\u{00A0}back pain\t|| \u{2003}spine # why\r\n".write(to: url, atomically: true, encoding: .utf8)
        let lines = try parseList(url: url, display: "Policies/lists/x.txt")
        XCTAssertEqual(lines.map(\.term), ["knee pain", "back pain"])
        XCTAssertEqual(lines.map(\.line), [1, 3])
        XCTAssertEqual(lines.map(\.weight), [1.5, nil])
        XCTAssertEqual(lines.map(\.category), ["joint", "spine"])
        try "a | heavy\n".write(to: url, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try parseList(url: url, display: "Policies/lists/x.txt")) { e in
            XCTAssertEqual("\(e)", "Policies/lists/x.txt:1: weight 'heavy' is not a number")
        }
    }

    func testUnquotedNoStaysAString() throws {
        let p = try Fixture.policies()
        // context.yml lists `- no` unquoted under negation_pre: it must be the word, not a boolean.
        let c = Classifier(policies: p)
        let r = c.classify("No quiero morir, solo estoy cansado")
        XCTAssertEqual(r.hit(.emergency)?.decision, .review)
        XCTAssertTrue(r.hit(.emergency)?.evidence.first?.modifiers.contains("negated") ?? false)
    }

    func testUnknownKeyNamesFileAndLine() throws {
        let dir = try Fixture.copyOfPolicies()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Fixture.edit(dir, "flags/offensive.yml") { $0.replacingOccurrences(of: "    language: es\n", with: "    language: es\n    wieght: 0.5\n") }
        let e = try XCTUnwrap(Fixture.loadError(dir))
        XCTAssertEqual(e.file, "Policies/flags/offensive.yml")
        let lines = try String(contentsOf: dir.appendingPathComponent("flags/offensive.yml"), encoding: .utf8).components(separatedBy: "\n")
        XCTAssertEqual(lines[e.line - 1].trimmingCharacters(in: .whitespaces), "wieght: 0.5")
        XCTAssertTrue(e.description.contains("unknown key 'wieght' (expected one of"), e.description)
    }

    func testDuplicateRuleID() throws {
        let dir = try Fixture.copyOfPolicies()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Fixture.edit(dir, "flags/spam.yml") { $0.replacingOccurrences(of: "id: spam.phrases.es", with: "id: spam.phrases.en") }
        let e = try XCTUnwrap(Fixture.loadError(dir))
        XCTAssertEqual(e.file, "Policies/flags/spam.yml")
        XCTAssertTrue(e.message.contains("duplicate rule id 'spam.phrases.en'"), e.message)
        let lines = try String(contentsOf: dir.appendingPathComponent("flags/spam.yml"), encoding: .utf8).components(separatedBy: "\n")
        XCTAssertTrue(lines[e.line - 1].contains("spam.phrases.en"))
    }

    func testBadPattern() throws {
        let dir = try Fixture.copyOfPolicies()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Fixture.edit(dir, "flags/spam.yml") { s in
            var out = s
            let start = s.range(of: "    pattern: ")!
            let end = s[start.upperBound...].range(of: "\n")!
            out.replaceSubrange(start.lowerBound..<end.lowerBound, with: "    pattern: \"([unclosed\"")
            return out
        }
        let e = try XCTUnwrap(Fixture.loadError(dir))
        XCTAssertEqual(e.file, "Policies/flags/spam.yml")
        XCTAssertTrue(e.message.contains("pattern does not compile"), e.message)
        let lines = try String(contentsOf: dir.appendingPathComponent("flags/spam.yml"), encoding: .utf8).components(separatedBy: "\n")
        XCTAssertTrue(lines[e.line - 1].contains("[unclosed"))
    }

    func testBadWordListLineAndThresholdsAndMissingList() throws {
        let dir = try Fixture.copyOfPolicies()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Fixture.edit(dir, "lists/en/spam.txt") { $0 + "free money | lots | spam\n" }
        let e = try XCTUnwrap(Fixture.loadError(dir))
        XCTAssertEqual(e.file, "Policies/lists/en/spam.txt")
        XCTAssertTrue(e.message.contains("weight 'lots'"))
        let n = try String(contentsOf: dir.appendingPathComponent("lists/en/spam.txt"), encoding: .utf8).components(separatedBy: "\n").count - 1
        XCTAssertEqual(e.line, n)

        let dir2 = try Fixture.copyOfPolicies()
        defer { try? FileManager.default.removeItem(at: dir2) }
        try Fixture.edit(dir2, "flags/spam.yml") { $0.replacingOccurrences(of: "flag_at: 0.5", with: "flag_at: 0.2") }
        XCTAssertTrue(try XCTUnwrap(Fixture.loadError(dir2)).message.contains("review_at < flag_at < act_at"))

        let dir3 = try Fixture.copyOfPolicies()
        defer { try? FileManager.default.removeItem(at: dir3) }
        try Fixture.edit(dir3, "flags/spam.yml") { $0.replacingOccurrences(of: "lists/es/spam.txt", with: "lists/es/nope.txt") }
        let e3 = try XCTUnwrap(Fixture.loadError(dir3))
        XCTAssertTrue(e3.message.contains("not found"))
        XCTAssertEqual(e3.file, "Policies/flags/spam.yml")
    }

    func testYAMLSyntaxErrorAndWrongType() throws {
        let dir = try Fixture.copyOfPolicies()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Fixture.edit(dir, "organization.yml") { $0.replacingOccurrences(of: "reply_undo_seconds: 10", with: "reply_undo_seconds: soon") }
        let e = try XCTUnwrap(Fixture.loadError(dir))
        XCTAssertEqual(e.file, "Policies/organization.yml")
        let lines = try String(contentsOf: dir.appendingPathComponent("organization.yml"), encoding: .utf8).components(separatedBy: "\n")
        XCTAssertTrue(lines[e.line - 1].contains("reply_undo_seconds"), "\(e)")

        let dir2 = try Fixture.copyOfPolicies()
        defer { try? FileManager.default.removeItem(at: dir2) }
        try Fixture.edit(dir2, "allowlist.yml") { $0 + "  - [broken\n" }
        let e2 = try XCTUnwrap(Fixture.loadError(dir2))
        XCTAssertEqual(e2.file, "Policies/allowlist.yml")
        XCTAssertGreaterThan(e2.line, 0)
    }

    func testDefaultDirectoryHonoursEnvironment() throws {
        setenv("ROUNDS_POLICIES", "/tmp/some-policies", 1)
        defer { unsetenv("ROUNDS_POLICIES") }
        XCTAssertEqual(PolicySet.defaultDirectory()?.path, "/tmp/some-policies")
    }

    func testExamplesInPoliciesTestsAllPass() throws {
        let p = try Fixture.policies()
        let results = try p.runExamples()
        XCTAssertGreaterThan(results.count, 60)
        for flag in FlagName.allCases {
            XCTAssertTrue(try p.loadExamples().contains { $0.flag == flag }, "no examples for \(flag)")
        }
        for r in results where !r.passed {
            XCTFail("\(r.example.file):\(r.example.line): expected \(r.example.flag.rawValue) \(r.example.expect), got \(r.got)")
        }
    }

    func testLintFindsNothingInShippedPolicies() throws {
        XCTAssertEqual(try Fixture.policies().lint().map(\.description), [])
    }
}
