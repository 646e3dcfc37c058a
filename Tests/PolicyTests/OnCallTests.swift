import Foundation
import XCTest
@testable import Policy

/// organization.yml's `on_call` and `page_after_minutes`: read, defaulted, and refused with
/// the file and line when wrong.
final class OnCallTests: XCTestCase {
    func testNoOnCallMeansNobodyIsPagedAndFiveMinutes() throws {
        let org = try PolicySet.loadOrganization(from: Fixture.policiesURL)
        XCTAssertEqual(org.onCall, OnCall(targets: [], pageAfterMinutes: 5))
    }

    func testTargetsAndAFractionOfAMinuteAreRead() throws {
        let dir = try Fixture.copyOfPolicies()
        defer { try? FileManager.default.removeItem(at: dir) }
        try append(dir, """
            on_call:
              - name: "ED charge nurse"
                kind: pagerduty
              - {name: "#ed-oncall", kind: slack}
              - {name: Teams ED, kind: teams}
              - {name: ops, kind: webhook}
            page_after_minutes: 0.5
            """)
        let onCall = try PolicySet.load(from: dir).organization.onCall
        XCTAssertEqual(onCall.targets, [OnCall.Target(name: "ED charge nurse", kind: "pagerduty"), OnCall.Target(name: "#ed-oncall", kind: "slack"),
                                        OnCall.Target(name: "Teams ED", kind: "teams"), OnCall.Target(name: "ops", kind: "webhook")])
        XCTAssertEqual(onCall.pageAfterMinutes, 0.5)
    }

    func testMistakesAreRefusedWithTheirLine() throws {
        let cases: [(yaml: String, line: Int, message: String)] = [
            ("on_call:\n  - {name: a, kind: pager}\n", 2, "on_call: kind 'pager' is not one of slack, teams, pagerduty, webhook"),
            ("on_call:\n  - name: a\n", 2, "on_call: each target needs 'kind'"),
            ("on_call:\n  - {name: a, kind: slack}\n  - {name: a, kind: teams}\n", 3, "on_call: 'a' is named twice"),
            ("on_call:\n  - {name: \"a, b\", kind: slack}\n", 2, "on_call: the name 'a, b' holds a comma"),
            ("on_call:\n  - {name: a, kind: slack, url: \"https://hooks.slack.com/x\"}\n", 2, "unknown key 'url' (expected one of kind, name)"),
            ("on_call: {name: a, kind: slack}\n", 1, "expected a list"),
            ("page_after_minutes: 0\n", 1, "page_after_minutes must be a number of minutes above 0 and at most 1440 (for example 5 or 0.5)"),
            ("page_after_minutes: soon\n", 1, "page_after_minutes must be a number of minutes above 0 and at most 1440 (for example 5 or 0.5)"),
            ("page_after_minutes: .inf\n", 1, "page_after_minutes must be a number of minutes above 0 and at most 1440 (for example 5 or 0.5)"),
        ]
        for c in cases {
            let dir = try Fixture.copyOfPolicies()
            defer { try? FileManager.default.removeItem(at: dir) }
            let first = try append(dir, c.yaml)
            let e = try XCTUnwrap(Fixture.loadError(dir), c.yaml)
            XCTAssertEqual(e.description, "Policies/organization.yml:\(first + c.line - 1): \(c.message)", c.yaml)
            XCTAssertThrowsError(try PolicySet.loadOrganization(from: dir), "the console's early read refuses it too")
        }
    }

    /// Appends `yaml` to organization.yml; the line number its first line gets.
    @discardableResult
    private func append(_ dir: URL, _ yaml: String) throws -> Int {
        var first = 0
        try Fixture.edit(dir, "organization.yml") { text in
            let base = text.hasSuffix("\n") ? text : text + "\n"
            first = base.split(separator: "\n", omittingEmptySubsequences: false).count
            return base + yaml + (yaml.hasSuffix("\n") ? "" : "\n")
        }
        return first
    }
}
