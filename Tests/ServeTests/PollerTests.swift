import Foundation
import NIOHTTP1
import XCTest

/// X and Google Business Profile through the real server's real client code, against the fake
/// platform of fake_platform.py on loopback.
final class PollerTests: XCTestCase {
    /// The real recorded mentions (tweepy's cassette): ten tweets, newest first.
    static func recordedMentions() throws -> [[String: Any]] {
        let d = try Data(contentsOf: fixtures.appendingPathComponent("x_api_v2/users_mentions_0.json"))
        return (try JSONSerialization.jsonObject(with: d) as? [String: Any])?["data"] as? [[String: Any]] ?? []
    }

    static func recordedDMs() throws -> [[String: Any]] {
        let d = try Data(contentsOf: fixtures.appendingPathComponent("x_api_v2/dm_events_4.json"))
        return (try JSONSerialization.jsonObject(with: d) as? [String: Any])?["data"] as? [[String: Any]] ?? []
    }

    func xScenario(tweets: [[String: Any]], failures: [String: [String]] = [:], rateLimit: Int = 1000, pageSize: Int = 3,
                   delayMs: Int = 0) throws -> [String: Any] {
        ["bearer": TestSecrets.xBearer, "x_user": "42", "page_size": pageSize, "tweets": tweets, "users": [],
         "dm_events": try Self.recordedDMs(), "rate_limit": ["limit": rateLimit, "window_s": 2],
         "failures": failures, "delay_ms": delayMs, "slow_s": 4]
    }

    func testXMentionsAndDirectMessagesPageByPageThroughFailuresAndRateLimits() async throws {
        let s = try Scratch()
        let tweets = try Self.recordedMentions()
        XCTAssertEqual(tweets.count, 10)
        var scenario = try xScenario(tweets: tweets, failures: ["GET /2/users/42/mentions": ["503", "reset", "slow", "429"]], rateLimit: 4)
        let fake = try FakePlatform(scenario: scenario, scratch: s)
        let conn = try s.write("connections.yml", TestSecrets.connections(meta: false, xURL: fake.base))
        let db = s.path("inbox.sqlite")
        let server = try RunningServer(db: db, connections: conn, scratch: s, extra: ["--http-timeout", "2"])

        // A 503, a connection reset mid-body, a timeout and a 429 first; then every page.
        try eventually(90, "ten mentions and the DMs") {
            try sqliteInt(db, "SELECT count(*) FROM message WHERE platform = 'x' AND kind IN ('mention', 'reply')") == 10
                && sqliteInt(db, "SELECT count(*) FROM message WHERE platform = 'x' AND kind = 'dm'") == 2
        }
        XCTAssertEqual(try sqliteInt(db, "SELECT count(*) - count(DISTINCT external_id) FROM message"), 0)
        XCTAssertEqual(try sqlite(db, "SELECT text FROM message WHERE external_id = '1578516295611748353'"),
                       [tweets[0]["text"] as! String])
        try eventually(10, "the run has ended: since_id is the newest mention") {
            try sqlite(db, "SELECT json_extract(cursor, '$.since_id') || '|' || ifnull(json_extract(cursor, '$.next_token'), '') FROM poll_cursor WHERE stream = 'x.mentions'")
                == ["1578516295611748353|"]
        }

        // Pages of 3 with 4 calls per 2 s: whenever X said the window was spent, the poller waited
        // for its reset. (The scripted failures use up calls without saying so: a 429 after them
        // depends on timing, so the count of 429s is not the measure.)
        XCTAssertGreaterThanOrEqual(fake.replies.filter { $0.status == 429 }.count, 1, "\(fake.replies)")
        XCTAssertTrue(fake.replies.contains { $0.status == 200 && $0.path == "/2/users/42/mentions" })
        XCTAssertEqual(fake.callsBeforeAnnouncedReset.count, 0, "\(fake.callsBeforeAnnouncedReset)")
        let metrics = try await HTTP.get(server.base + "/metrics").body
        XCTAssertTrue(metrics.contains("rounds_rate_limit_waits_total{platform=\"x\"}"), metrics)
        XCTAssertTrue(metrics.contains("rounds_poll_results_total{stream=\"x.mentions\",result=\"error\"}"), metrics)

        // A new mention: asked for with since_id, stored once.
        var newer = tweets[0]
        newer["id"] = "1578516295611748999"
        newer["text"] = "@clinic is the walk-in open today?"
        scenario["tweets"] = [newer] + tweets
        scenario["failures"] = [:]
        try fake.update(scenario)
        try eventually(20, "the new mention") {
            try sqliteInt(db, "SELECT count(*) FROM message WHERE external_id = '1578516295611748999'") == 1
        }
        let sinceQueries = fake.requests.filter { ($0["query"] as? [String: String])?["since_id"] == "1578516295611748353" }
        XCTAssertFalse(sinceQueries.isEmpty)
        XCTAssertEqual(try sqliteInt(db, "SELECT count(*) FROM message WHERE platform = 'x'"), 13)
        XCTAssertTrue(try sqlite(db, "SELECT state FROM connection_status WHERE name = 'X'").first.map { ["ok", "rate_limited"].contains($0) } ?? false)
        XCTAssertEqual(server.terminate(), 0)
    }

    func testXRevokedBearerShowsReconnectAndStoresNothing() async throws {
        let s = try Scratch()
        var scenario = try xScenario(tweets: try Self.recordedMentions())
        scenario["bearer"] = "a-different-token"
        let fake = try FakePlatform(scenario: scenario, scratch: s)
        let conn = try s.write("connections.yml", TestSecrets.connections(meta: false, xURL: fake.base))
        let db = s.path("inbox.sqlite")
        let server = try RunningServer(db: db, connections: conn, scratch: s)
        try eventually(20, "X needs reconnecting") { try sqlite(db, "SELECT state FROM connection_status WHERE name = 'X'") == ["reconnect"] }
        XCTAssertEqual(try sqliteInt(db, "SELECT count(*) FROM message"), 0)
        let ready = try await HTTP.get(server.base + "/readyz").body
        XCTAssertTrue(ready.contains("\"name\":\"X\",\"state\":\"reconnect\""), ready)
        XCTAssertEqual(server.terminate(), 0)
    }

    // MARK: - Google Business Profile

    static let location = "accounts/111/locations/222"

    /// A review in the documented shape (no public sample exists), `minutesAgo` since its update.
    static func review(_ id: String, stars: String, comment: String, minutesAgo: Int) -> [String: Any] {
        let t = Date().addingTimeInterval(Double(-minutesAgo * 60))
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return ["name": "\(location)/reviews/\(id)", "reviewId": id, "reviewer": ["displayName": "Reviewer \(id)", "isAnonymous": false],
                "starRating": stars, "comment": comment, "createTime": f.string(from: t), "updateTime": f.string(from: t)]
    }

    func gbpScenario(reviews: [[String: Any]], failures: [String: [String]] = [:], revoked: Bool = false) -> [String: Any] {
        ["token": ["refresh": TestSecrets.gbpRefresh, "access": TestSecrets.gbpAccess, "revoked": revoked],
         "reviews": [Self.location: reviews], "page_size": 3, "failures": failures]
    }

    static func push(_ reviewName: String, messageID: String, snake: Bool = false) -> Data {
        let notice = try! JSONSerialization.data(withJSONObject: [snake ? "review_name" : "reviewName": reviewName,
                                                                  "location_name": location, "notificationType": "NEW_REVIEW"])
        return try! JSONSerialization.data(withJSONObject: [
            "message": ["data": notice.base64EncodedString(), "attributes": [:], "messageId": messageID, "publishTime": "2026-12-04T10:00:00Z"],
            "subscription": "projects/p/subscriptions/rounds"])
    }

    func testGBPPollsPagesThroughTransientTokenFailuresAndFetchesPushedReviews() async throws {
        let s = try Scratch()
        var reviews = (0..<7).map { Self.review("r\($0)", stars: $0 % 2 == 0 ? "FIVE" : "TWO",
                                                comment: "Visit number \($0): the nurses were kind", minutesAgo: 10 + $0) }
        // The token endpoint fails twice for a transient reason (503): retried, never "reconnect".
        var scenario = gbpScenario(reviews: reviews, failures: ["POST /token": ["503", "503"]])
        let fake = try FakePlatform(scenario: scenario, scratch: s)
        let conn = try s.write("connections.yml", TestSecrets.connections(meta: false, gbpURL: fake.base, pollSeconds: 3600))
        let db = s.path("inbox.sqlite")
        let server = try RunningServer(db: db, connections: conn, scratch: s)
        try eventually(60, "seven polled reviews") {
            try sqliteInt(db, "SELECT count(*) FROM message WHERE platform = 'gbp' AND kind = 'review'") == 7
        }
        XCTAssertEqual(try sqlite(db, "SELECT rating FROM message WHERE external_id = 'r1'"), ["2"])
        XCTAssertFalse(server.log.contains("connection GBP: reconnect"), server.log)
        XCTAssertEqual(fake.requests.filter { $0["path"] as? String == "/token" }.count, 3)
        XCTAssertTrue(fake.requests.contains { ($0["query"] as? [String: String])?["pageToken"] == "p3" })

        // A new review arrives by push (the next poll is an hour away): fetched and stored. The
        // snake_case spelling is accepted, and a repeated messageId is kept once.
        let fresh = Self.review("r-new", stars: "ONE", comment: "Waited three hours and nobody called my name", minutesAgo: 1)
        reviews.insert(fresh, at: 0)
        scenario["reviews"] = [Self.location: reviews]
        scenario["failures"] = [:]
        try fake.update(scenario)
        let url = server.base + "/webhooks/gbp?token=\(TestSecrets.pushToken)"
        for _ in 0..<2 {
            let answer = try await HTTP.send(.POST, url, body: Self.push("\(Self.location)/reviews/r-new", messageID: "m-1", snake: true))
            XCTAssertEqual(answer.status, 200)
        }
        try eventually(20, "the pushed review") { try sqliteInt(db, "SELECT count(*) FROM message WHERE external_id = 'r-new'") == 1 }
        XCTAssertEqual(try sqliteInt(db, "SELECT count(*) FROM spool WHERE dedupe_key = 'gbp:m-1'"), 1)
        XCTAssertEqual(fake.requests.filter { $0["path"] as? String == "/v4/\(Self.location)/reviews/r-new" }.count, 1)

        // A push for a review deleted before it was fetched is kept as a rejected record.
        let gone = try await HTTP.send(.POST, url, body: Self.push("\(Self.location)/reviews/deleted", messageID: "m-2"))
        XCTAssertEqual(gone.status, 200)
        try eventually(20, "the rejection") {
            try sqliteInt(db, "SELECT count(*) FROM rejected_record WHERE reason LIKE '%no longer exists (404)%'") == 1
        }
        let forged = try await HTTP.send(.POST, server.base + "/webhooks/gbp?token=guess", body: Self.push("x", messageID: "m-3"))
        XCTAssertEqual(forged.status, 401)
        XCTAssertEqual(try sqliteInt(db, "SELECT count(*) FROM spool WHERE dedupe_key = 'gbp:m-3'"), 0)
        XCTAssertEqual(try sqliteInt(db, "SELECT count(*) - count(DISTINCT external_id) FROM message"), 0)
        XCTAssertEqual(server.terminate(), 0)
    }

    func testGBPRevokedRefreshTokenNeedsReconnecting() async throws {
        let s = try Scratch()
        let fake = try FakePlatform(scenario: gbpScenario(reviews: [Self.review("r0", stars: "FIVE", comment: "fine", minutesAgo: 5)], revoked: true),
                                    scratch: s)
        let conn = try s.write("connections.yml", TestSecrets.connections(meta: false, gbpURL: fake.base))
        let db = s.path("inbox.sqlite")
        let server = try RunningServer(db: db, connections: conn, scratch: s)
        try eventually(20, "GBP needs reconnecting") { try sqlite(db, "SELECT state FROM connection_status WHERE name = 'GBP'") == ["reconnect"] }
        XCTAssertTrue(try sqlite(db, "SELECT detail FROM connection_status WHERE name = 'GBP'").first?.contains("invalid_grant") ?? false)
        XCTAssertEqual(try sqliteInt(db, "SELECT count(*) FROM message"), 0)
        XCTAssertEqual(server.terminate(), 0)
    }
}

/// X with a user's OAuth 2 token: refreshed from the refresh token, which X rotates; the new
/// refresh token is kept (owner-only) before the new access token is used.
final class XOAuthTests: XCTestCase {
    func testRotatedRefreshTokenIsKeptAndUsedNextTime() async throws {
        let s = try Scratch()
        let access = "x-user-access-TEST-1a", first = "x-refresh-TEST-first", rotated = "x-refresh-TEST-rotated"
        var scenario: [String: Any] = ["bearer": access, "x_user": "42", "page_size": 100, "tweets": try PollerTests.recordedMentions(),
                                       "users": [], "dm_events": [], "token": ["refresh": first, "access": access, "rotate_to": rotated]]
        let fake = try FakePlatform(scenario: scenario, scratch: s)
        let conn = try s.write("connections.yml", """
            x:
              user_id: "42"
              api_url: \(fake.base)
              poll_seconds: 1
              direct_messages: false
              oauth2:
                client_id: rounds-x-client
                refresh_token: \(first)
                token_url: \(fake.base)/token

            """)
        let db = s.path("inbox.sqlite")
        let server = try RunningServer(db: db, connections: conn, scratch: s)
        try eventually(20, "the mentions, read with the refreshed access token") {
            try sqliteInt(db, "SELECT count(*) FROM message WHERE platform = 'x'") == 10
        }
        let kept = conn + ".x-refresh-token"
        XCTAssertEqual(try String(contentsOfFile: kept, encoding: .utf8), rotated + "\n")
        var st = stat()
        XCTAssertEqual(stat(kept, &st), 0)
        XCTAssertEqual(st.st_mode & 0o777, 0o600)
        XCTAssertEqual(fake.requests.first { $0["path"] as? String == "/token" }?["form"] as? [String: String],
                       ["grant_type": "refresh_token", "refresh_token": first, "client_id": "rounds-x-client"])
        XCTAssertEqual(server.terminate(), 0)

        // After a restart the spent refresh token is not used again: the kept one is.
        scenario["token"] = ["refresh": rotated, "access": access]
        try fake.update(scenario)
        let restarted = try RunningServer(db: db, connections: conn, scratch: s, logName: "serve2.log")
        try eventually(20, "a refresh with the rotated token") {
            fake.requests.contains { ($0["form"] as? [String: String])?["refresh_token"] == rotated }
        }
        try eventually(10, "X is ok") { try sqlite(db, "SELECT state FROM connection_status WHERE name = 'X'") == ["ok"] }
        XCTAssertEqual(restarted.terminate(), 0)
        for secret in [first, rotated, access] {
            XCTAssertFalse(restarted.log.contains(secret) || server.log.contains(secret), "a token in the log")
        }
    }
}
