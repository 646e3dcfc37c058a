import Console
import ConsoleAdapters
import Foundation
import Store
import XCTest

/// Paging through the real server against a fake on-call service on loopback (fake_pager.py):
/// Slack, Teams, PagerDuty and a plain webhook, each told once per emergency, never the text.
final class PagingTests: XCTestCase {
    static let routingKey = "R0UTING-KEY-TEST-5e2d"
    static let secrets = [routingKey, "slack-secret-TEST-8a1f", "teams-secret-TEST-31c9", "hook-secret-TEST-77aa"]
    static let text = "I have crushing chest pain right now and can't breathe"
    static let author = ("maria.g", "Maria Gonzalez")

    func testAnUnclaimedImminentEmergencyPagesEveryTargetOnceWithoutItsTextOrAuthor() async throws {
        let rig = try PagingRig(messages: [("e1", Self.text, 10), ("fresh", Self.text, 0), ("hello", "What are your opening hours?", 10)])
        let server = try rig.start()
        try eventually(20, "one page per target") { rig.pager.requests.count >= 4 }
        usleep(2_000_000)  // four more rounds: nothing more
        let id = try rig.messageID("e1")
        let pages = rig.pager.requests
        XCTAssertEqual(pages.map(\.path).sorted(), ["/hook/hook-secret-TEST-77aa", "/slack/T000/B000/slack-secret-TEST-8a1f",
                                                    "/teams/teams-secret-TEST-31c9", "/v2/enqueue"])
        let summary = "Rounds: unclaimed emergency #\(id) on facebook, 10 min old"
        let key = try rig.dedupKey(id)
        let details: [String: Any] = ["reason": "unclaimed", "platform": "facebook", "lane": "urgent", "age_minutes": 10, "message": id,
                                      "escalated_by": NSNull()]
        XCTAssertEqual(try rig.pager.body("/v2/enqueue"), [
            "routing_key": Self.routingKey, "event_action": "trigger", "dedup_key": key,
            "payload": ["summary": summary, "source": "rounds-serve", "severity": "critical", "custom_details": details]] as NSDictionary)
        XCTAssertEqual(try rig.pager.body("/slack/T000/B000/slack-secret-TEST-8a1f"), ["text": summary] as NSDictionary)
        XCTAssertEqual(try rig.pager.body("/teams/teams-secret-TEST-31c9"), ["text": summary] as NSDictionary)
        XCTAssertEqual(try rig.pager.body("/hook/hook-secret-TEST-77aa"),
                       details.merging(["event": "trigger", "dedup_key": key, "summary": summary]) { a, _ in a } as NSDictionary)
        for p in pages {
            XCTAssertEqual(p.headers["Content-Type"], "application/json")
            for word in ["chest", "breathe", "maria", "Maria", "Gonzalez"] { XCTAssertFalse(p.body.contains(word), "\(p.path) holds '\(word)'") }
        }

        XCTAssertEqual(try sqlite(rig.db, "SELECT message_id, reason, targets, resolved_at IS NULL FROM page"),
                       ["\(id)|unclaimed|\(try rig.sqliteTargets(id))|1"])
        XCTAssertEqual(Set(try rig.sqliteTargets(id).split(separator: ",").map(String.init)), Set(PagingRig.names))
        XCTAssertEqual(try sqlite(rig.db, "SELECT count(*), min(message_id), max(message_id), min(moderator) FROM action WHERE action = 'page_sent'"),
                       ["4|\(id)|\(id)|rounds-serve"])
        let metrics = try await HTTP.get(server.base + "/metrics").body
        XCTAssertTrue(metrics.contains("rounds_pages_total{kind=\"pagerduty\",event=\"trigger\",result=\"sent\"} 1"), metrics)
        let ready = try await HTTP.get(server.base + "/readyz").body
        XCTAssertTrue(ready.contains("{\"name\":\"Paging\",\"state\":\"ok\""), ready)
        XCTAssertEqual(server.terminate(), 0)
        try rig.assertNoSecretsOutside(also: metrics + ready)
    }

    func testAnEscalationPagesAtOnceAndAClaimResolvesIt() async throws {
        let rig = try PagingRig(messages: [("e1", Self.text, 0)])
        let server = try rig.start()
        usleep(1_500_000)
        XCTAssertEqual(rig.pager.requests.count, 0, "not yet overdue")
        let id = try rig.messageID("e1")
        try rig.act(.escalate(message: id, contact: "Lead on duty", note: "please call"), as: "alice")
        try eventually(10, "the escalation's pages") { rig.pager.requests.count >= 4 }
        let summary = "Rounds: emergency #\(id) on facebook escalated by alice, 0 min old"
        let trigger = try XCTUnwrap(rig.pager.body("/v2/enqueue"))
        XCTAssertEqual((trigger["payload"] as? [String: Any])?["summary"] as? String, summary)
        XCTAssertEqual(((trigger["payload"] as? [String: Any])?["custom_details"] as? [String: Any])?["escalated_by"] as? String, "alice")
        XCTAssertEqual(try rig.pager.body("/slack/T000/B000/slack-secret-TEST-8a1f"), ["text": summary] as NSDictionary)
        try eventually(5, "the four pages recorded") { try sqliteInt(rig.db, "SELECT count(*) FROM action WHERE action = 'page_sent'") == 4 }
        XCTAssertEqual(try sqlite(rig.db, "SELECT reason, paged_by FROM page"), ["escalated|alice"])

        try rig.act(.claim(message: id), as: "bob")
        try eventually(10, "the resolves") { rig.pager.requests.count >= 8 }
        let key = try rig.dedupKey(id)
        let taken = "Rounds: emergency #\(id) on facebook taken (claimed by bob)"
        XCTAssertEqual(try rig.pager.body("/v2/enqueue", last: true), ["routing_key": Self.routingKey, "event_action": "resolve", "dedup_key": key] as NSDictionary)
        XCTAssertEqual(try rig.pager.body("/teams/teams-secret-TEST-31c9", last: true), ["text": taken] as NSDictionary)
        let hook = try XCTUnwrap(rig.pager.body("/hook/hook-secret-TEST-77aa", last: true))
        XCTAssertEqual(hook["event"] as? String, "resolve")
        XCTAssertEqual(hook["taken"] as? String, "claimed by bob")
        XCTAssertEqual(hook["dedup_key"] as? String, key)
        try eventually(5, "the page is over") { try sqliteInt(rig.db, "SELECT count(*) FROM page WHERE resolved_at IS NOT NULL") == 1 }
        XCTAssertEqual(try sqlite(rig.db, "SELECT detail FROM action WHERE action = 'page_resolved'").first?.hasPrefix("claimed by bob; told "), true)
        usleep(1_500_000)
        XCTAssertEqual(rig.pager.requests.count, 8, "each target heard once of each")
        XCTAssertEqual(server.terminate(), 0)
        try rig.assertNoSecretsOutside()
    }

    func testARestartDoesNotPageAgain() async throws {
        let rig = try PagingRig(messages: [("e1", Self.text, 10)])
        let first = try rig.start()
        // Recorded, not only received: a crash in between sends again (docs/operations.md).
        try eventually(20, "one page per target, recorded") { try sqliteInt(rig.db, "SELECT count(*) FROM action WHERE action = 'page_sent'") == 4 }
        first.kill9()
        let second = try rig.start(log: "serve-2.log")
        // The second server has looked (Paging is ok only after a round) and sent nothing.
        try eventually(10, "a round of the second server") { second.log.contains("connection Paging: ok") }
        usleep(1_500_000)
        XCTAssertEqual(rig.pager.requests.count, 4)
        XCTAssertEqual(try sqliteInt(rig.db, "SELECT count(*) FROM action WHERE action = 'page_sent'"), 4)
        XCTAssertEqual(second.terminate(), 0)
    }

    func testATargetAnswering500IsRetriedUntilItTakesThePage() async throws {
        let slack = "/slack/T000/B000/slack-secret-TEST-8a1f"
        let rig = try PagingRig(messages: [("e1", Self.text, 10)], fail: [slack: ["times": 2, "status": 500]])
        let server = try rig.start()
        try eventually(30, "Slack took the page on the third try") { rig.pager.requests.filter { $0.path == slack }.map(\.reply) == [500, 500, 200] }
        usleep(1_500_000)
        XCTAssertEqual(rig.pager.requests.filter { $0.path == slack }.count, 3, "no more once it took it")
        XCTAssertEqual(rig.pager.requests.count, 6, "the other targets once each")
        let id = try rig.messageID("e1")
        let failed = try sqlite(rig.db, "SELECT message_id, reason_code, detail FROM action WHERE action = 'page_failed' ORDER BY id")
        XCTAssertEqual(failed.count, 2)
        for f in failed { XCTAssertTrue(f.hasPrefix("\(id)|page|#ed-oncall (slack): HTTP 500; next attempt at "), f) }
        XCTAssertTrue(try rig.sqliteTargets(id).contains("#ed-oncall"))
        let metrics = try await HTTP.get(server.base + "/metrics").body
        XCTAssertTrue(metrics.contains("rounds_pages_total{kind=\"slack\",event=\"trigger\",result=\"failed\"} 2"), metrics)
        XCTAssertEqual(server.terminate(), 0)
        try rig.assertNoSecretsOutside(also: metrics)
    }
}

/// An inbox with policies naming four on-call targets, its messages, the fake pager, and the
/// connections file that reaches it.
final class PagingRig {
    static let names = ["ED charge nurse", "#ed-oncall", "ED Teams", "ops"]
    let scratch: Scratch
    let pager: FakePager
    let db: String
    let connections: String

    /// `messages`: external id, text, minutes old (plus 5 s, so the age in whole minutes
    /// holds for most of a minute).
    init(messages: [(String, String, Int)], fail: [String: Any] = [:]) throws {
        scratch = try Scratch()
        pager = try FakePager(config: ["fail": fail], scratch: scratch)
        db = scratch.path("inbox.sqlite")
        try Self.run(["init", "--db", db])
        for login in ["alice", "bob"] { try Self.run(["team", "add", login, "--role", "moderator", "--db", db]) }
        let policies = scratch.path("Policies")
        try FileManager.default.copyItem(atPath: packageRoot.appendingPathComponent("Policies").path, toPath: policies)
        let org = policies + "/organization.yml"
        try (String(contentsOfFile: org, encoding: .utf8) + """
            on_call:
              - {name: ED charge nurse, kind: pagerduty}
              - {name: "#ed-oncall", kind: slack}
              - {name: ED Teams, kind: teams}
              - {name: ops, kind: webhook}
            page_after_minutes: 5

            """).write(toFile: org, atomically: true, encoding: .utf8)
        try Self.run(["policy", "publish", "--db", db, "--policies", policies])
        let now = Date()
        let lines = try messages.map { id, text, minutes in
            String(decoding: try JSONSerialization.data(withJSONObject: [
                "platform": "facebook", "kind": "comment", "id": id, "text": text, "author": PagingTests.author.0, "author_name": PagingTests.author.1,
                "created_at": ISO8601DateFormatter().string(from: now.addingTimeInterval(-Double(minutes * 60 + 5)))]), as: UTF8.self)
        }
        try Self.run(["ingest", "--db", db, try scratch.write("messages.jsonl", lines.joined(separator: "\n") + "\n")])
        connections = try scratch.write("connections.yml", TestSecrets.connections() + """
            paging:
              targets:
                - name: ED charge nurse
                  kind: pagerduty
                  routing_key: \(PagingTests.routingKey)
                  url: \(pager.base)/v2/enqueue
                - {name: "#ed-oncall", kind: slack, url: "\(pager.base)/slack/T000/B000/slack-secret-TEST-8a1f"}
                - {name: ED Teams, kind: teams, url: "\(pager.base)/teams/teams-secret-TEST-31c9"}
                - {name: ops, kind: webhook, url: "\(pager.base)/hook/hook-secret-TEST-77aa"}

            """)
    }

    func start(log: String = "serve.log") throws -> RunningServer {
        try RunningServer(db: db, connections: connections, scratch: scratch, logName: log, extra: ["--paging-seconds", "0.5", "--http-timeout", "5"])
    }

    private static func run(_ args: [String]) throws {
        let r = try rounds(args)
        guard r.status == 0 else { throw XCTSkip("rounds \(args.first ?? "") failed: \(r.out) \(r.err)") }
    }

    func messageID(_ externalID: String) throws -> Int64 {
        Int64(try sqliteInt(db, "SELECT id FROM message WHERE external_id = '\(externalID)' AND lane = 'urgent'"))
    }

    func dedupKey(_ id: Int64) throws -> String {
        "rounds-\(try sqlite(db, "SELECT value FROM setting WHERE key = 'inbox_id'").first ?? "?")-\(id)"
    }

    func sqliteTargets(_ id: Int64) throws -> String { try sqlite(db, "SELECT targets FROM page WHERE message_id = \(id)").first ?? "" }

    /// A moderator's action through the console's own store.
    func act(_ command: ModeratorCommand, as moderator: String) throws {
        let store = SQLiteConsoleStore(inbox: try InboxDatabase(path: db), role: "moderator")
        if case let .failure(refusal) = store.perform(command, moderator: moderator) { XCTFail("\(command): \(refusal)") }
    }

    /// No secret in the servers' logs, the audit log, the page rows, or `extra`.
    func assertNoSecretsOutside(also extra: String = "", file: StaticString = #filePath, line: UInt = #line) throws {
        let logs = (try? FileManager.default.contentsOfDirectory(atPath: scratch.url.path).filter { $0.hasSuffix(".log") }) ?? []
        var everything = extra + (try sqlite(db, "SELECT * FROM action").joined()) + (try sqlite(db, "SELECT * FROM page").joined())
        for l in logs { everything += (try? String(contentsOfFile: scratch.path(l), encoding: .utf8)) ?? "" }
        for s in PagingTests.secrets + TestSecrets.all {
            XCTAssertFalse(everything.contains(s), "a secret in the output", file: file, line: line)
        }
    }
}

/// fake_pager.py on loopback: what it was sent.
final class FakePager {
    struct Request {
        var path: String
        var headers: [String: String]
        var body: String
        var reply: Int
    }

    let process = Process()
    let log: String
    let port: Int

    init(config: [String: Any], scratch: Scratch) throws {
        let configPath = scratch.path("pager.json")
        log = scratch.path("pager-requests.jsonl")
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: configPath))
        port = try startFake(process, script: "fake_pager.py", arguments: [configPath, log])
    }

    var base: String { "http://127.0.0.1:\(port)" }

    /// Every request, in order.
    var requests: [Request] {
        ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").compactMap { line in
            guard let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
            return Request(path: o["path"] as? String ?? "", headers: o["headers"] as? [String: String] ?? [:],
                           body: o["body"] as? String ?? "", reply: o["reply"] as? Int ?? 0)
        }
    }

    /// The JSON body of the first (or last) request to `path`.
    func body(_ path: String, last: Bool = false) throws -> NSDictionary? {
        let matching = requests.filter { $0.path == path }
        guard let r = last ? matching.last : matching.first else { return nil }
        return try JSONSerialization.jsonObject(with: Data(r.body.utf8)) as? NSDictionary
    }

    deinit {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
