import Console
import ConsoleAdapters
import Crypto
import Foundation
import Store
import XCTest

/// Issue 19: what moderators queue reaches the platforms, through the real `rounds deliver` and
/// `rounds serve` and their real client code, against fake_platform.py on loopback.
final class DeliveryTests: XCTestCase {
    static let page = "1234567890"
    static let instagram = "17841400000000000"
    static let location = "accounts/111/locations/222"

    /// An inbox holding one message of each shape, ingested through `rounds ingest`.
    struct Inbox {
        let db: String
        /// external id -> message id
        let ids: [String: Int]
    }

    static func inbox(_ s: Scratch, extra: [[String: Any]] = []) throws -> Inbox {
        let now = ISO8601DateFormatter().string(from: Date().addingTimeInterval(-600))
        var records: [[String: Any]] = [
            ["platform": "facebook", "kind": "comment", "id": "\(page)_111_901", "post_id": "\(page)_111", "author": "p1", "text": "When are you open?"],
            ["platform": "facebook", "kind": "comment", "id": "\(page)_111_902", "post_id": "\(page)_111", "author": "p2", "text": "What a place"],
            ["platform": "facebook", "kind": "comment", "id": "\(page)_111_903", "post_id": "\(page)_111", "author": "p3", "text": "buy followers now"],
            ["platform": "instagram", "kind": "comment", "id": "17900000000000001", "post_id": "17800000000000001", "author": "ig1", "text": "Do you take walk-ins?"],
            ["platform": "messenger", "kind": "dm", "id": "m_dm1", "post_id": "psid77:\(page)", "author": "psid77", "text": "Can I book for Tuesday?"],
            ["platform": "instagram", "kind": "dm", "id": "ig_dm1", "post_id": "igsid88:\(instagram)", "author": "igsid88", "text": "Is parking free?"],
            ["platform": "x", "kind": "mention", "id": "1800000000000000001", "post_id": "1800000000000000001", "author": "501", "text": "@clinic are you open today?"],
            ["platform": "x", "kind": "dm", "id": "1900000000000000001", "post_id": "42-502", "author": "502", "text": "hello, a question about my bill"],
            ["platform": "gbp", "kind": "review", "id": "rev1", "post_id": location, "author": "Dana", "text": "Friendly nurses", "rating": 5],
        ]
        records += extra
        let lines = records.map { r -> String in
            var r = r
            r["created_at"] = r["created_at"] ?? now
            return String(decoding: try! JSONSerialization.data(withJSONObject: r, options: [.sortedKeys]), as: UTF8.self)
        }
        let file = try s.write("inbox.jsonl", lines.joined(separator: "\n") + "\n")
        let db = s.path("inbox.sqlite")
        let ingest = try rounds(["ingest", "--db", db, "--format", "jsonl", file])
        XCTAssertEqual(ingest.status, 0, ingest.err)
        var ids: [String: Int] = [:]
        for row in try sqlite(db, "SELECT external_id || '|' || id FROM message") {
            let p = row.split(separator: "|")
            ids[String(p[0])] = Int(p[1])
        }
        XCTAssertEqual(ids.count, records.count, "every record stored")
        return Inbox(db: db, ids: ids)
    }

    /// Queues an action as the console does once the undo window is over (the console's own
    /// queueing is tested in CLITests; here the worker is under test).
    static func queue(_ inbox: Inbox, _ external: String, _ action: String, text: String = "", visibility: String = "public") throws {
        let id = try XCTUnwrap(inbox.ids[external], external)
        let sql = """
            INSERT INTO outbox (message_id, moderator, platform, visibility, text, state, created_at, release_at, action)
            SELECT id, 'alice', platform, '\(visibility)', '\(text.replacingOccurrences(of: "'", with: "''"))', 'ready',
                   CAST(strftime('%s','now') AS INTEGER) * 1000, CAST(strftime('%s','now') AS INTEGER) * 1000, '\(action)'
            FROM message WHERE id = \(id);
            """
        _ = try sqlite(inbox.db, sql)
    }

    static func connections(_ s: Scratch, _ fake: FakePlatform) throws -> String {
        try s.write("connections.yml", TestSecrets.connections(graphURL: fake.base + "/graph", xURL: fake.base, gbpURL: fake.base))
    }

    static func scenario(failures: [String: [String]] = [:], delayMs: Int = 0) -> [String: Any] {
        ["graph_tokens": [page: TestSecrets.pageToken], "bearer": TestSecrets.xBearer, "x_user": "42", "ig_account": instagram,
         "token": ["refresh": TestSecrets.gbpRefresh, "access": TestSecrets.gbpAccess, "expires_in": 3600],
         "reviews": [Self.location: []], "reviews_exist": true, "tweets": [], "dm_events": [], "failures": failures, "delay_ms": delayMs, "slow_s": 1.5,
         "rate_limit": ["limit": 1000, "window_s": 900], "page_token": TestSecrets.pageToken,
         "subscribed": [Self.page: ["feed", "messages"]]]
    }

    // MARK: - Each action's request

    func testEveryActionIsTheDocumentedRequest() throws {
        let s = try Scratch()
        let inbox = try Self.inbox(s)
        let fake = try FakePlatform(scenario: Self.scenario(), scratch: s)
        let conn = try Self.connections(s, fake)
        try Self.queue(inbox, "\(Self.page)_111_901", "reply", text: "We're open 8-6. Call (617) 555-0142 to book.")
        try Self.queue(inbox, "\(Self.page)_111_902", "reply", text: "Thank you! Sent you a message.", visibility: "private")
        try Self.queue(inbox, "\(Self.page)_111_902", "hide")
        try Self.queue(inbox, "\(Self.page)_111_903", "delete")
        try Self.queue(inbox, "17900000000000001", "reply", text: "Yes, walk-ins 8-11.")
        try Self.queue(inbox, "17900000000000001", "hide")
        try Self.queue(inbox, "m_dm1", "reply", text: "Please call us to book.")
        try Self.queue(inbox, "ig_dm1", "reply", text: "Parking is free.")
        try Self.queue(inbox, "1800000000000000001", "reply", text: "Yes, 8-6 today.")
        try Self.queue(inbox, "1800000000000000001", "hide")
        try Self.queue(inbox, "1900000000000000001", "reply", text: "Please call billing at (617) 555-0142.")
        try Self.queue(inbox, "rev1", "reply", text: "Thank you for your kind words.")

        let run = try rounds(["deliver", "--db", inbox.db, "--connections", conn, "--once"])
        XCTAssertEqual(run.status, 0, run.err)
        XCTAssertTrue(run.out.contains("12 sent"), run.out)
        XCTAssertEqual(try sqlite(inbox.db, "SELECT state, count(*) FROM outbox GROUP BY state"), ["sent|12"])

        let requests = fake.requests.filter { ($0["path"] as? String)?.hasPrefix("/token") == false }
        func one(_ method: String, _ path: String, file: StaticString = #filePath, line: UInt = #line) -> [String: Any] {
            let matching = requests.filter { $0["method"] as? String == method && $0["path"] as? String == path }
            XCTAssertEqual(matching.count, 1, "\(method) \(path) once: \(requests.map { "\($0["method"]!) \($0["path"]!)" })", file: file, line: line)
            return matching.first ?? [:]
        }
        // Bodies compared as canonical JSON (keys sorted), so the assertion is about content.
        func canon(_ o: Any) -> String {
            (try? JSONSerialization.data(withJSONObject: o, options: [.sortedKeys])).map { String(decoding: $0, as: UTF8.self) } ?? "?"
        }
        func json(_ r: [String: Any]) -> String {
            canon((try? JSONSerialization.jsonObject(with: Data((r["body"] as? String ?? "").utf8))) ?? [:])
        }
        let proof = HMAC<SHA256>.authenticationCode(for: Data(TestSecrets.pageToken.utf8), using: SymmetricKey(data: Data(TestSecrets.appSecret.utf8)))
            .map { String(format: "%02x", $0) }.joined()
        let bearerPage = "Bearer " + TestSecrets.pageToken

        // Facebook: comment reply, private reply, hide, delete.
        var r = one("POST", "/graph/\(Self.page)_111_901/comments")
        XCTAssertEqual(r["form"] as? [String: String], ["message": "We're open 8-6. Call (617) 555-0142 to book."])
        XCTAssertEqual(r["auth"] as? String, bearerPage)
        XCTAssertEqual(r["query"] as? [String: String], ["appsecret_proof": proof])
        XCTAssertEqual(r["content_type"] as? String, "application/x-www-form-urlencoded")
        let messages = requests.filter { $0["method"] as? String == "POST" && $0["path"] as? String == "/graph/\(Self.page)/messages" }.map(json)
        XCTAssertEqual(Set(messages), Set([
            ["recipient": ["comment_id": "\(Self.page)_111_902"], "message": ["text": "Thank you! Sent you a message."]],
            ["recipient": ["id": "psid77"], "message": ["text": "Please call us to book."], "messaging_type": "RESPONSE"],
            ["recipient": ["id": "igsid88"], "message": ["text": "Parking is free."], "messaging_type": "RESPONSE"],
        ].map(canon)))
        r = one("POST", "/graph/\(Self.page)_111_902")
        XCTAssertEqual(r["form"] as? [String: String], ["is_hidden": "true"])
        r = one("DELETE", "/graph/\(Self.page)_111_903")
        XCTAssertEqual(r["auth"] as? String, bearerPage)
        // Instagram: replies edge, and `hide`, not `is_hidden`.
        r = one("POST", "/graph/17900000000000001/replies")
        XCTAssertEqual(r["form"] as? [String: String], ["message": "Yes, walk-ins 8-11."])
        r = one("POST", "/graph/17900000000000001")
        XCTAssertEqual(r["form"] as? [String: String], ["hide": "true"])
        // X: reply, hide, DM.
        r = one("POST", "/2/tweets")
        XCTAssertEqual(json(r), canon(["text": "Yes, 8-6 today.", "reply": ["in_reply_to_tweet_id": "1800000000000000001"]]))
        XCTAssertEqual(r["auth"] as? String, "Bearer " + TestSecrets.xBearer)
        r = one("PUT", "/2/tweets/1800000000000000001/hidden")
        XCTAssertEqual(json(r), canon(["hidden": true]))
        r = one("POST", "/2/dm_conversations/with/502/messages")
        XCTAssertEqual(json(r), canon(["text": "Please call billing at (617) 555-0142."]))
        // Google: the reply upsert.
        r = one("PUT", "/v4/\(Self.location)/reviews/rev1/reply")
        XCTAssertEqual(json(r), canon(["comment": "Thank you for your kind words."]))
        XCTAssertEqual(r["auth"] as? String, "Bearer " + TestSecrets.gbpAccess)

        // Each entry knows what the platform made of it; each transition is audited.
        let refs = try sqlite(inbox.db, "SELECT o.action || ' ' || m.external_id || ' ' || coalesce(o.platform_ref, '-') FROM outbox o JOIN message m ON m.id = o.message_id ORDER BY o.id")
        XCTAssertTrue(refs[0].hasPrefix("reply \(Self.page)_111_901 10"), "\(refs)")
        XCTAssertTrue(refs.contains("reply rev1 \(Self.location)/reviews/rev1/reply"), "\(refs)")
        XCTAssertTrue(refs.contains { $0.hasPrefix("reply m_dm1 m_") }, "\(refs)")
        XCTAssertEqual(try sqliteInt(inbox.db, "SELECT count(*) FROM action WHERE action = 'delivery_sent' AND moderator = 'rounds-serve'"), 12)
        XCTAssertEqual(try sqliteInt(inbox.db, "SELECT count(*) FROM action WHERE action = 'delivery_sending'"), 12)
        let verify = try rounds(["audit", "verify", "--db", inbox.db])
        XCTAssertEqual(verify.status, 0, verify.out + verify.err)
        // No secret in what was printed.
        for secret in TestSecrets.all { XCTAssertFalse((run.out + run.err).contains(secret), "a secret in rounds deliver's output") }
    }

    // MARK: - The window: a private reply cut off after Meta acted

    func testAnInterruptedPrivateReplyIsHeldForALeadNotSentTwiceOnAGuess() async throws {
        let s = try Scratch()
        let inbox = try Self.inbox(s)
        let fake = try FakePlatform(scenario: Self.scenario(failures: ["POST /graph/\(Self.page)/messages": ["after_reset"]]), scratch: s)
        let conn = try Self.connections(s, fake)
        try Self.queue(inbox, "\(Self.page)_111_902", "reply", text: "We sent you a message.", visibility: "private")
        let server = try RunningServer(db: inbox.db, connections: conn, scratch: s, extra: ["--http-timeout", "1", "--retry-seconds", "0.2"])
        try eventually(30, "held for a lead") {
            try sqlite(inbox.db, "SELECT state || ' ' || error_code FROM outbox") == ["failed unverified"]
        }
        XCTAssertEqual(fake.effects.map(\.kind), ["private_reply"], "made once, answer lost, not made again")
        let outbox = try XCTUnwrap(Int64(try sqlite(inbox.db, "SELECT id FROM outbox").first ?? ""))

        // The lead decides the person did not get it: sent again, on purpose, once.
        let store = SQLiteConsoleStore(inbox: try InboxDatabase(path: inbox.db), role: "lead")
        let moderator = ProcessInfo.processInfo.environment["USER"] ?? "lead"
        guard case .success = store.perform(.retryDelivery(outbox: outbox), moderator: moderator) else { return XCTFail("retry refused") }
        try eventually(20, "sent after the lead's retry") { try sqlite(inbox.db, "SELECT state FROM outbox") == ["sent"] }
        XCTAssertEqual(fake.effects.map(\.kind), ["private_reply", "private_reply"])
        XCTAssertEqual(try sqliteInt(inbox.db, "SELECT count(*) FROM action WHERE action = 'delivery_retry'"), 1)
        XCTAssertEqual(server.terminate(), 0)
    }

    // MARK: - Faults

    func testFaultsRetryBackOffPauseOrFailAsThePlatformSays() async throws {
        let s = try Scratch()
        let inbox = try Self.inbox(s, extra: [
            ["platform": "facebook", "kind": "comment", "id": "\(Self.page)_111_904", "post_id": "\(Self.page)_111", "author": "p4", "text": "hi"],
            ["platform": "facebook", "kind": "comment", "id": "\(Self.page)_111_905", "post_id": "\(Self.page)_111", "author": "p5", "text": "hello"],
        ])
        let fb = "/graph/\(Self.page)_111_"
        let fake = try FakePlatform(scenario: Self.scenario(failures: [
            "POST \(fb)901/comments": ["500"],                 // retried, after looking for it
            "POST \(fb)904/comments": ["after_reset"],         // made, answer lost: found, not repeated
            "POST \(fb)905/comments": ["slow"],                // timeout: looked for, then sent once
            "POST /graph/17900000000000001/replies": ["meta4"], // rate limited: regain time honoured
            "POST /2/tweets": ["429bare", "429"],               // backoff, then x-rate-limit-reset
            "PUT /2/tweets/": ["500"],
            "POST /graph/\(Self.page)/messages": ["meta551", "meta2018278"],
            "PUT /v4/": ["429bare"],
        ]), scratch: s)
        let conn = try Self.connections(s, fake)
        try Self.queue(inbox, "\(Self.page)_111_901", "reply", text: "A 500 first")
        try Self.queue(inbox, "\(Self.page)_111_904", "reply", text: "Reset after it was made")
        try Self.queue(inbox, "\(Self.page)_111_905", "reply", text: "Slow answer")
        try Self.queue(inbox, "17900000000000001", "reply", text: "Rate limited")
        try Self.queue(inbox, "1800000000000000001", "reply", text: "X rate limited")
        try Self.queue(inbox, "1800000000000000001", "hide")
        try Self.queue(inbox, "rev1", "reply", text: "Thank you")
        let server = try RunningServer(db: inbox.db, connections: conn, scratch: s, extra: ["--http-timeout", "1", "--retry-seconds", "0.3"])
        let ms = { (sql: String) in try sqliteInt(inbox.db, sql) }
        // The Messenger and Instagram DMs go one at a time so each meets its own scripted error.
        try Self.queue(inbox, "m_dm1", "reply", text: "Cannot be messaged")
        try eventually(30, "the first DM failed") { try ms("SELECT count(*) FROM outbox WHERE state = 'failed'") == 1 }
        try Self.queue(inbox, "ig_dm1", "reply", text: "Outside the window")

        try eventually(60, "everything but the rate-limited Instagram reply is settled") {
            try ms("SELECT count(*) FROM outbox WHERE state IN ('sent', 'failed')") == 8
        }
        let states = Dictionary(uniqueKeysWithValues: try sqlite(inbox.db, """
            SELECT m.external_id || ':' || o.action || '=' || o.state || '|' || coalesce(o.error_code, '') || '|'
                   || coalesce(o.last_error, '') || '|' || o.attempts
            FROM outbox o JOIN message m ON m.id = o.message_id WHERE o.text != 'Cannot be messaged!'
            """).map { row -> (String, String) in
                let p = row.split(separator: "=", maxSplits: 1).map(String.init)
                return (p[0], p.count > 1 ? p[1] : "")
            })
        func state(_ key: String) -> String { states[key] ?? "? \(key) not in \(states)" }
        XCTAssertTrue(state("\(Self.page)_111_901:reply").hasPrefix("sent"), states.description)
        XCTAssertTrue(state("\(Self.page)_111_904:reply").hasPrefix("sent"), states.description)
        XCTAssertTrue(state("\(Self.page)_111_905:reply").hasPrefix("sent"), states.description)
        XCTAssertTrue(state("1800000000000000001:reply").hasPrefix("sent"), states.description)
        XCTAssertTrue(state("1800000000000000001:hide").hasPrefix("sent"), states.description)
        XCTAssertTrue(state("rev1:reply").hasPrefix("sent"), states.description)
        XCTAssertEqual(state("m_dm1:reply"), "failed|551|the person cannot receive messages|1")
        XCTAssertEqual(state("ig_dm1:reply"), "failed|2018278|outside Meta's messaging window|1")
        // Meta code 4 with X-Business-Use-Case-Usage: back in 2 minutes, not sooner.
        let ig = state("17900000000000001:reply")
        XCTAssertTrue(ig.hasPrefix("retrying|4|rate limited"), ig)
        let wait = try ms("SELECT next_attempt_at - (SELECT max(at) FROM action WHERE action = 'delivery_retrying' AND reason_code = '4') FROM outbox WHERE state = 'retrying'")
        XCTAssertTrue((115_000...121_000).contains(wait), "waits estimated_time_to_regain_access (2 min): \(wait) ms")

        // Exactly once: the reply whose answer was lost was found, not made again; the 500 and
        // the timeout were looked for before sending again.
        let effects = fake.effects
        XCTAssertEqual(effects.filter { $0.dup }.map(\.target), [], "no duplicate")
        XCTAssertEqual(effects.filter { $0.kind == "comment_reply" }.count, 3)
        let lookups = fake.requests.filter { $0["method"] as? String == "GET" && ($0["path"] as? String ?? "").hasSuffix("/comments") }
        XCTAssertEqual(Set(lookups.compactMap { $0["path"] as? String }), ["\(fb)901/comments", "\(fb)904/comments", "\(fb)905/comments"])
        XCTAssertEqual(try ms("SELECT count(*) FROM action WHERE action = 'delivery_failed' AND reason_code = '551'"), 1)
        // A failed reply puts its message back in front of the team... (it was open already here)
        // and a failure is visible in the outbox listing.
        let failed = try rounds(["outbox", "--db", inbox.db, "--state", "failed"])
        XCTAssertEqual(failed.out.split(separator: "\n").count, 2, failed.out)
        // X's 429 without headers backed off; with headers it waited for x-rate-limit-reset.
        XCTAssertEqual(try ms("SELECT count(*) FROM action WHERE action = 'delivery_retrying' AND reason_code = '429'"), 3)

        // Code 190: the connection is paused and needs a person; nothing else is sent through it.
        var sc = Self.scenario()
        sc["graph_tokens"] = [Self.page: "a-token-meta-no-longer-accepts"]
        try fake.update(sc)
        try Self.queue(inbox, "\(Self.page)_111_902", "reply", text: "After the token was revoked")
        try eventually(20, "the page is paused") {
            try ms("SELECT count(*) FROM delivery_account WHERE account = '\(Self.page)' AND paused_reason LIKE 'needs reconnecting%'") == 1
        }
        XCTAssertEqual(try sqlite(inbox.db, "SELECT state FROM outbox WHERE text = 'After the token was revoked'"), ["ready"])
        try eventually(10, "the status line says so") {
            try ms("SELECT count(*) FROM connection_status WHERE name = 'Meta' AND state = 'reconnect'") == 1
        }
        let before = fake.requests.count
        try await Task.sleep(nanoseconds: 1_500_000_000)
        XCTAssertEqual(fake.requests.filter { ($0["path"] as? String ?? "").contains("_111_902/comments") }.count, 1,
                       "one call, then nothing until reconnected (\(fake.requests.count - before) requests since)")
        XCTAssertEqual(server.terminate(), 0)
        for secret in TestSecrets.all { XCTAssertFalse(server.log.contains(secret), "a secret in the server's log") }
    }
}
