import Crypto
import Foundation
import NIOHTTP1
import XCTest

/// The real `rounds serve` on loopback, fed Meta's real payloads (Tests/Fixtures/platforms),
/// signed with a test secret as Meta signs them: over the raw bytes.
final class MetaWebhookTests: XCTestCase {
    static let metaFolders = ["meta_page_feed", "meta_page_ratings", "messenger", "instagram"]

    func metaFixtures() throws -> [URL] {
        try Self.metaFolders.flatMap { folder in
            try FileManager.default.contentsOfDirectory(at: fixtures.appendingPathComponent(folder), includingPropertiesForKeys: nil)
                .filter { $0.pathExtension == "json" }.sorted { $0.path < $1.path }
        }
    }

    func testHandshakeSignaturesAndEveryFixtureStoredOnceLikeIngest() async throws {
        let s = try Scratch()
        let conn = try s.write("connections.yml", TestSecrets.connections())
        let db = s.path("inbox.sqlite")
        let server = try RunningServer(db: db, connections: conn, scratch: s)

        // The GET handshake: the challenge back only with the right token.
        let ok = try await HTTP.get(server.base + "/webhooks/meta?hub.mode=subscribe&hub.verify_token=\(TestSecrets.verifyToken)&hub.challenge=1158201444")
        XCTAssertEqual(ok.status, 200)
        XCTAssertEqual(ok.body, "1158201444")
        let wrong = try await HTTP.get(server.base + "/webhooks/meta?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1")
        XCTAssertEqual(wrong.status, 403)
        let noMode = try await HTTP.get(server.base + "/webhooks/meta?hub.verify_token=\(TestSecrets.verifyToken)&hub.challenge=1")
        XCTAssertEqual(noMode.status, 403)

        // Wrong, missing and re-serialised signatures: 401, nothing stored.
        let comment = try Data(contentsOf: fixtures.appendingPathComponent("meta_page_feed/feed-comment-add-25.json"))
        let forged = try await HTTP.postMeta(server.base, comment, signature: metaSignature(comment, secret: "not-the-secret"))
        XCTAssertEqual(forged.status, 401)
        let missing = try await HTTP.send(.POST, server.base + "/webhooks/meta", body: comment)
        XCTAssertEqual(missing.status, 401)
        let reencoded = try JSONSerialization.data(withJSONObject: JSONSerialization.jsonObject(with: comment), options: [.sortedKeys])
        let wrongBytes = try await HTTP.postMeta(server.base, reencoded, signature: metaSignature(comment))
        XCTAssertEqual(wrongBytes.status, 401, "the signature covers the bytes sent, not a re-serialisation")
        XCTAssertEqual(try sqliteInt(db, "SELECT count(*) FROM spool"), 0)
        XCTAssertEqual(try sqliteInt(db, "SELECT count(*) FROM message"), 0)

        // Every fixture, twice (Meta repeats deliveries): each answered 200.
        let files = try metaFixtures()
        XCTAssertEqual(files.count, 14)
        for round in 0..<2 {
            for f in files {
                let answer = try await HTTP.postMeta(server.base, try Data(contentsOf: f))
                XCTAssertEqual(answer.status, 200, "\(f.lastPathComponent), round \(round)")
            }
        }
        try eventually(20, "the spool is ingested") { try sqliteInt(db, "SELECT count(*) FROM spool") == 0 }

        // The same files through `rounds ingest` (the file path) give the same inbox.
        let reference = s.path("reference.sqlite")
        let ingest = try rounds(["ingest", "--db", reference, "--format", "meta"] + files.map(\.path))
        XCTAssertNotEqual(ingest.status, 2, ingest.err)
        let columns = "platform, kind, external_id, text, hidden_on_platform, removed_on_platform, lane"
        let served = try sqlite(db, "SELECT \(columns) FROM message ORDER BY platform, external_id")
        let ingested = try sqlite(reference, "SELECT \(columns) FROM message ORDER BY platform, external_id")
        XCTAssertEqual(served, ingested)
        XCTAssertGreaterThanOrEqual(served.count, 10)
        XCTAssertEqual(try sqliteInt(db, "SELECT count(*) FROM rejected_record"), try sqliteInt(reference, "SELECT count(*) FROM rejected_record"))

        // Known rows, read off the fixtures by hand: the Page comment and the Messenger text.
        XCTAssertEqual(try sqlite(db, "SELECT text FROM message WHERE external_id = '901097836652708_903438993085259'"), ["and the next one"])
        XCTAssertEqual(try sqliteInt(db, "SELECT count(*) FROM message WHERE platform = 'messenger'"),
                       try sqliteInt(reference, "SELECT count(*) FROM message WHERE platform = 'messenger'"))

        let metrics = try await HTTP.get(server.base + "/metrics").body
        XCTAssertTrue(metrics.contains("rounds_webhook_signature_failures_total{platform=\"meta\"} 3"), metrics)
        XCTAssertTrue(metrics.contains("rounds_http_requests_total{endpoint=\"/webhooks/meta\",status=\"200\"} 29"), metrics)
        XCTAssertEqual(server.terminate(), 0)
    }

    /// One request with 10 entries of 100 comments each (Meta batches up to 1,000 updates).
    func testABatchOfAThousandUpdatesIsReadWhole() async throws {
        let s = try Scratch()
        let conn = try s.write("connections.yml", TestSecrets.connections())
        let db = s.path("inbox.sqlite")
        let server = try RunningServer(db: db, connections: conn, scratch: s)
        let body = MetaPayloads.comments(entries: 10, perEntry: 100, prefix: "batch")
        let answer = try await HTTP.postMeta(server.base, body)
        XCTAssertEqual(answer.status, 200)
        try eventually(20, "1,000 comments stored") { try sqliteInt(db, "SELECT count(*) FROM message") == 1000 }
        XCTAssertEqual(try sqliteInt(db, "SELECT count(DISTINCT external_id) FROM message WHERE external_id LIKE 'batch%'"), 1000)
        XCTAssertEqual(server.terminate(), 0)
    }

    /// Secrets never reach the log, the error messages, /metrics, /readyz or the inbox.
    func testNoSecretInAnyOutput() async throws {
        let s = try Scratch()
        let fake = try FakePlatform(scenario: ["bearer": TestSecrets.xBearer, "x_user": "42", "tweets": [], "users": [],
                                               "token": ["refresh": TestSecrets.gbpRefresh, "access": TestSecrets.gbpAccess],
                                               "reviews": ["accounts/111/locations/222": []],
                                               "failures": ["POST /token": ["503"], "GET /2/users/42/mentions": ["401"]]], scratch: s)
        let conn = try s.write("connections.yml", TestSecrets.connections(xURL: fake.base, gbpURL: fake.base))
        let db = s.path("inbox.sqlite")
        let server = try RunningServer(db: db, connections: conn, scratch: s, extra: ["--http-timeout", "5"])
        _ = try await HTTP.postMeta(server.base, MetaPayloads.comments(entries: 1, perEntry: 1, prefix: "s"))
        _ = try await HTTP.postMeta(server.base, Data("{}".utf8), signature: "sha256=00")
        _ = try await HTTP.get(server.base + "/webhooks/meta?hub.mode=subscribe&hub.verify_token=\(TestSecrets.verifyToken)&hub.challenge=1")
        _ = try await HTTP.send(.POST, server.base + "/webhooks/gbp?token=wrong", body: Data("{}".utf8))
        try eventually(20, "the pollers have called the fake at least three times") { fake.requests.count >= 3 }
        let metrics = try await HTTP.get(server.base + "/metrics").body
        let ready = try await HTTP.get(server.base + "/readyz").body
        XCTAssertEqual(server.terminate(), 0)
        let check = try rounds(["connections", "check", "--connections", conn])
        XCTAssertEqual(check.status, 0, check.err)
        XCTAssertTrue(check.out.contains("Meta:") && check.out.contains("X:") && check.out.contains("Google Business Profile:"), check.out)
        let dump = try sqlite(db, ".dump").joined(separator: "\n")
        XCTAssertTrue(dump.contains("connection_status"), "the dump is the whole inbox")
        for (name, text) in [("log", server.log), ("metrics", metrics), ("readyz", ready), ("connections check", check.out + check.err),
                             ("inbox", dump)] {
            for secret in TestSecrets.all {
                XCTAssertFalse(text.contains(secret), "\(name) shows a secret")
            }
        }
    }
}

/// Payloads in Meta's documented shapes, for volumes the fixtures do not have.
enum MetaPayloads {
    static func comments(entries: Int, perEntry: Int, prefix: String, text: String = "When are you open on Saturday?") -> Data {
        var entryList: [[String: Any]] = []
        for e in 0..<entries {
            var changes: [[String: Any]] = []
            for c in 0..<perEntry {
                changes.append(["field": "feed", "value": [
                    "item": "comment", "verb": "add", "comment_id": "\(prefix)_\(e)_\(c)", "post_id": "1234567890_555",
                    "parent_id": "1234567890_555", "from": ["id": "99\(e)\(c)", "name": "Pat Example"],
                    "message": "\(text) (\(e).\(c))", "created_time": 1_764_800_000 + c,
                ] as [String: Any]])
            }
            entryList.append(["id": "1234567890", "time": 1_764_800_000, "changes": changes])
        }
        return try! JSONSerialization.data(withJSONObject: ["object": "page", "entry": entryList])
    }
}

/// X's optional V2 webhook: the CRC answer and the body signature (base64 HMAC-SHA256).
final class XWebhookTests: XCTestCase {
    func testCRCAndSignedEvents() async throws {
        let s = try Scratch()
        let conn = try s.write("connections.yml", TestSecrets.connections(meta: false, xURL: "http://127.0.0.1:9", xWebhook: true))
        let db = s.path("inbox.sqlite")
        let server = try RunningServer(db: db, connections: conn, scratch: s)
        // HMAC-SHA256 of "challenge123" keyed with the test consumer secret, by Python's hmac module:
        // base64.b64encode(hmac.new(b"x-consumer-secret-TEST-9f8e", b"challenge123", sha256).digest())
        let crc = try await HTTP.get(server.base + "/webhooks/x?crc_token=challenge123")
        XCTAssertEqual(crc.status, 200)
        XCTAssertEqual(crc.body, "{\"response_token\":\"sha256=YLdPdVdQapHHx4HLhin2I6ox36GFT2/HQysQriX92a8=\"}")

        let body = try Data(contentsOf: fixtures.appendingPathComponent("x_api_v2/get_tweet_0.json"))
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(TestSecrets.xConsumerSecret.utf8)))
        let good = try await HTTP.send(.POST, server.base + "/webhooks/x", body: body,
                                       headers: [("x-twitter-webhooks-signature", "sha256=" + Data(mac).base64EncodedString())])
        XCTAssertEqual(good.status, 200)
        let bad = try await HTTP.send(.POST, server.base + "/webhooks/x", body: body, headers: [("x-twitter-webhooks-signature", "sha256=AAAA")])
        XCTAssertEqual(bad.status, 401)
        try eventually(20, "the tweet") { try sqliteInt(db, "SELECT count(*) FROM message WHERE platform = 'x'") == 1 }
        XCTAssertEqual(server.terminate(), 0)
    }
}

/// Meta only calls in: the server asks each Page's `subscribed_apps` edge whether it is still
/// subscribed, and says so in the connection's state.
final class MetaSubscriptionTests: XCTestCase {
    func state(graph scenario: [String: Any]) async throws -> (state: String, detail: String, asked: [[String: Any]]) {
        let s = try Scratch()
        let graph = try FakePlatform(scenario: scenario, scratch: s)
        let conn = try s.write("connections.yml", TestSecrets.connections(graphURL: graph.base))
        let db = s.path("inbox.sqlite")
        let server = try RunningServer(db: db, connections: conn, scratch: s)
        try eventually(20, "Meta's state") { !(try sqlite(db, "SELECT state FROM connection_status WHERE name = 'Meta'")).isEmpty }
        let row = try sqlite(db, "SELECT state || '|' || detail FROM connection_status WHERE name = 'Meta'").first ?? ""
        XCTAssertEqual(server.terminate(), 0)
        let parts = row.split(separator: "|", maxSplits: 1).map(String.init)
        return (parts[0], parts.count > 1 ? parts[1] : "", graph.requests)
    }

    func testSubscribedPageIsOkAndAskedWithItsTokenAndProof() async throws {
        let r = try await state(graph: ["page_token": TestSecrets.pageToken, "subscribed": ["1234567890": ["feed", "messages"]]])
        XCTAssertEqual(r.state, "ok")
        let asked = try XCTUnwrap(r.asked.first)
        XCTAssertEqual(asked["path"] as? String, "/1234567890/subscribed_apps")
        XCTAssertEqual(asked["auth"] as? String, "Bearer \(TestSecrets.pageToken)")
        // appsecret_proof = hex HMAC-SHA256 of the Page token keyed with the app secret, by Python:
        // hmac.new(b"meta-app-secret-TEST-4f1c9a", b"EAAG-page-token-TEST-91d0e3", sha256).hexdigest()
        XCTAssertEqual((asked["query"] as? [String: String])?["appsecret_proof"],
                       "2e6246fe0008aa49dabef36e800af2b3859ca61ce8a816b1cf343cac424e327e")
    }

    func testUnsubscribedPageAndRefusedTokenAreSaid() async throws {
        let unsubscribed = try await state(graph: ["page_token": TestSecrets.pageToken, "subscribed": [:]])
        XCTAssertEqual(unsubscribed.state, "error")
        XCTAssertTrue(unsubscribed.detail.contains("Page 1234567890 is not subscribed"), unsubscribed.detail)
        let refused = try await state(graph: ["page_token": "another-token", "subscribed": ["1234567890": ["feed"]]])
        XCTAssertEqual(refused.state, "reconnect")
        XCTAssertTrue(refused.detail.contains("token refused (190)"), refused.detail)
    }
}
