import Connections
import Foundation
import XCTest

/// The two halves of paging's configuration: the targets' secrets in the connections file,
/// their names in organization.yml; both refused with file and line, neither showing a secret.
final class PagingConfigTests: XCTestCase {
    static let slackURL = "https://hooks.slack.com/services/T000/B000/slack-secret-TEST-8a1f"
    static let routingKey = "R0UTING-KEY-TEST-5e2d"

    static let paging = """
        paging:
          targets:
            - name: ED charge nurse
              kind: pagerduty
              routing_key: \(routingKey)
            - name: "#ed-oncall"
              kind: slack
              url: \(slackURL)

        """

    func testTargetsParseWithPagerDutysDefaultURLAndPrintNoSecret() throws {
        let c = try Connections.parse(TestSecrets.connections() + Self.paging, path: "c.yml")
        XCTAssertEqual(c.paging.map(\.name), ["ED charge nurse", "#ed-oncall"])
        XCTAssertEqual(c.paging.map(\.kind), [.pagerduty, .slack])
        XCTAssertEqual(c.paging[0].endpoint(), "https://events.pagerduty.com/v2/enqueue")
        XCTAssertEqual(c.paging[0].routingKey?.reveal(), Self.routingKey)
        XCTAssertEqual(c.paging[1].endpoint(), Self.slackURL)
        XCTAssertTrue(c.allSecrets.map { $0.reveal() }.contains(Self.slackURL), "the log scrubs the webhook URL")
        XCTAssertTrue(c.allSecrets.map { $0.reveal() }.contains(Self.routingKey))
        let printed = "\(c.paging) \(c.summary)"
        XCTAssertFalse(printed.contains("slack-secret-TEST-8a1f") || printed.contains(Self.routingKey), printed)
        XCTAssertTrue(c.summary.contains("Paging: 2 target(s): ED charge nurse (pagerduty, https://events.pagerduty.com/v2/enqueue), #ed-oncall (slack, hooks.slack.com)"),
                      "\(c.summary)")
    }

    func testMistakesAreRefusedWithTheLineAndWithoutTheSecret() {
        func refusal(_ paging: String) -> ConnectionsError? {
            do { _ = try Connections.parse(TestSecrets.connections() + paging, path: "c.yml"); return nil } catch { return error as? ConnectionsError }
        }
        let base = TestSecrets.connections().split(separator: "\n", omittingEmptySubsequences: false).count
        let cases: [(String, Int, String)] = [
            ("paging:\n  targets:\n    - {name: a, kind: pager, url: \"https://x.example/secret-1\"}\n", 3, "paging.targets[].kind: should be one of slack, teams, pagerduty, webhook"),
            ("paging:\n  targets:\n    - {name: a, kind: pagerduty}\n", 3, "paging.targets[].routing_key is missing"),
            ("paging:\n  targets:\n    - {name: a, kind: slack, url: \"ftp://hooks.slack.com/secret-2\"}\n", 3, "paging.targets[].url: is not an http(s) URL (value not shown)"),
            ("paging:\n  targets:\n    - {name: a, kind: slack, url: \"https://h.example/secret-3\", routing_key: k}\n", 3,
             "paging.targets[].routing_key: only a pagerduty target has a routing_key"),
            ("paging:\n  targets:\n    - {name: a, kind: slack, url: \"https://h.example/secret-4\"}\n    - {name: a, kind: teams, url: \"https://h.example/secret-5\"}\n", 4,
             "paging.targets[].name: 'a' is named twice"),
            ("paging:\n  targets:\n    - {name: \"a,b\", kind: webhook, url: \"https://h.example/secret-6\"}\n", 3, "paging.targets[].name: 'a,b' holds a comma"),
            ("paging:\n  target: []\n", 2, "unknown key 'paging.target'; expected one of: targets"),
            ("paging:\n  targets: []\n", 2, "paging.targets: list at least one target: - name: ..., kind: ..., url: ..."),
        ]
        for (yaml, line, message) in cases {
            let e = refusal(yaml)
            XCTAssertEqual(e?.line, base - 1 + line, yaml)
            XCTAssertEqual(e?.message, message, yaml)
            XCTAssertFalse(e?.description.contains("secret-") ?? true, "no URL quoted back")
        }
    }

    /// `rounds connections check` lists the targets; `rounds policy check` refuses a bad on_call.
    func testTheCommandsCheckBothHalves() throws {
        let s = try Scratch()
        let path = try s.write("c.yml", TestSecrets.connections() + Self.paging)
        let check = try rounds(["connections", "check", "--connections", path])
        XCTAssertEqual(check.status, 0, check.err)
        XCTAssertTrue(check.out.contains("Paging: 2 target(s)"), check.out)
        XCTAssertFalse(check.out.contains("slack-secret") || check.out.contains(Self.routingKey))

        let policies = s.path("Policies")
        try FileManager.default.copyItem(atPath: packageRoot.appendingPathComponent("Policies").path, toPath: policies)
        let org = policies + "/organization.yml"
        let text = try String(contentsOfFile: org, encoding: .utf8)
        let line = text.split(separator: "\n", omittingEmptySubsequences: false).count + 2
        try (text + "on_call:\n  - name: ED charge nurse\n    kind: pagerdutyy\n").write(toFile: org, atomically: true, encoding: .utf8)
        let policy = try rounds(["policy", "check", "--policies", policies])
        XCTAssertEqual(policy.status, 1)
        XCTAssertTrue((policy.out + policy.err).contains("Policies/organization.yml:\(line): on_call: kind 'pagerdutyy' is not one of slack, teams, pagerduty, webhook"),
                      policy.out + policy.err)
    }
}
