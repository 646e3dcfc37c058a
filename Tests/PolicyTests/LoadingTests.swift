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
        let results = p.runExamples()
        XCTAssertGreaterThan(results.count, 60)
        for flag in FlagName.allCases {
            XCTAssertTrue(p.examples.contains { $0.flag == flag }, "no examples for \(flag)")
        }
        for r in results where !r.passed {
            XCTFail("\(r.example.file):\(r.example.line): expected \(r.example.flag.rawValue) \(r.example.expect), got \(r.got)")
        }
    }

    func testLintFindsNothingInShippedPolicies() throws {
        XCTAssertEqual(try Fixture.policies().lint().map(\.description), [])
    }
}
