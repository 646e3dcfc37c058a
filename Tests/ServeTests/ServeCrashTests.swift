import Foundation
import NIOHTTP1
import XCTest

/// `kill -9` at an arbitrary moment, then a restart: every event that got a 200, and every
/// polled item before the saved cursor, is in the inbox, and nothing is stored twice.
final class ServeCrashTests: XCTestCase {
    /// Thread-safe record of which comments were acknowledged.
    final class Acks: @unchecked Sendable {
        private let lock = NSLock()
        private var ids: [String] = []
        private var refused = 0
        func add(_ id: String) { lock.withLock { ids.append(id) } }
        func fail() { lock.withLock { refused += 1 } }
        var acked: [String] { lock.withLock { ids } }
        var failed: Int { lock.withLock { refused } }
    }

    /// Posts `count` single-comment payloads from `clients` concurrent clients.
    static func stream(to base: String, count: Int, clients: Int, prefix: String, acks: Acks) async {
        await withTaskGroup(of: Void.self) { group in
            for c in 0..<clients {
                group.addTask {
                    for i in stride(from: c, to: count, by: clients) {
                        let id = "\(prefix)\(i)"
                        let body = MetaPayloads.comments(entries: 1, perEntry: 1, prefix: id)
                        // A client stops at its first failure: AsyncHTTPClient retries a refused
                        // connection until the request's deadline, which would make this slow.
                        if let a = try? await HTTP.postMeta(base, body, timeout: 5), a.status == 200 { acks.add(id + "_0_0") } else {
                            acks.fail()
                            return
                        }
                    }
                }
            }
        }
    }

    func testKillDuringAStreamOfWebhooksLosesNothingAcknowledged() async throws {
        let s = try Scratch()
        let conn = try s.write("connections.yml", TestSecrets.connections())
        let db = s.path("inbox.sqlite")
        let server = try RunningServer(db: db, connections: conn, scratch: s)
        let acks = Acks()
        let base = server.base
        let total = 600
        async let posting: Void = Self.stream(to: base, count: total, clients: 8, prefix: "k", acks: acks)
        // Kill once a part has been acknowledged, while requests are in flight.
        while acks.acked.count < 150 { try await Task.sleep(nanoseconds: 2_000_000) }
        server.kill9()
        await posting
        let acked = acks.acked
        XCTAssertGreaterThanOrEqual(acked.count, 150)
        XCTAssertLessThan(acked.count, total, "the kill came before the stream ended")
        XCTAssertGreaterThan(acks.failed, 0)

        let restarted = try RunningServer(db: db, connections: conn, scratch: s, logName: "serve2.log")
        try eventually(30, "the spool is ingested after the restart") { try sqliteInt(db, "SELECT count(*) FROM spool") == 0 }
        let stored = Set(try sqlite(db, "SELECT external_id FROM message"))
        let missing = acked.filter { !stored.contains($0) }
        XCTAssertEqual(missing, [], "acknowledged but not in the inbox")
        XCTAssertEqual(try sqliteInt(db, "SELECT count(*) - count(DISTINCT external_id) FROM message"), 0)
        XCTAssertLessThanOrEqual(stored.count, total)
        print("serve crash: \(acked.count) of \(total) acknowledged before kill -9, \(stored.count) stored after restart, 0 missing, 0 twice")
        XCTAssertEqual(restarted.terminate(), 0)
    }

    func testGracefulShutdownIngestsWhatWasAcknowledged() async throws {
        let s = try Scratch()
        let conn = try s.write("connections.yml", TestSecrets.connections())
        let db = s.path("inbox.sqlite")
        let server = try RunningServer(db: db, connections: conn, scratch: s)
        let acks = Acks()
        let base = server.base
        async let posting: Void = Self.stream(to: base, count: 400, clients: 8, prefix: "g", acks: acks)
        while acks.acked.count < 100 { try await Task.sleep(nanoseconds: 2_000_000) }
        kill(server.process.processIdentifier, SIGTERM)
        await posting
        server.process.waitUntilExit()
        XCTAssertEqual(server.process.terminationStatus, 0)
        XCTAssertTrue(server.log.contains("\"msg\":\"stopped\""))
        // No restart: the stopping server ingested everything it had acknowledged.
        XCTAssertEqual(try sqliteInt(db, "SELECT count(*) FROM spool"), 0)
        let stored = Set(try sqlite(db, "SELECT external_id FROM message"))
        XCTAssertEqual(acks.acked.filter { !stored.contains($0) }, [])
    }

    func testKillDuringAPollKeepsEverythingBeforeTheCursor() async throws {
        let s = try Scratch()
        let tweets = (0..<30).map { i -> [String: Any] in
            ["id": String(1_800_000_000_000_000_000 - i), "text": "@clinic question number \(30 - i) about parking", "author_id": "7\(i)"]
        }
        let fake = try FakePlatform(scenario: ["bearer": TestSecrets.xBearer, "x_user": "42", "page_size": 3, "tweets": tweets,
                                               "users": [], "dm_events": [], "delay_ms": 150], scratch: s)
        let conn = try s.write("connections.yml", TestSecrets.connections(meta: false, xURL: fake.base))
        let db = s.path("inbox.sqlite")
        let server = try RunningServer(db: db, connections: conn, scratch: s)
        // Kill in the middle of the run of pages, once its cursor has moved.
        try eventually(30, "a cursor in the middle of the run") {
            (try sqlite(db, "SELECT json_extract(cursor, '$.next_token') FROM poll_cursor WHERE stream = 'x.mentions'").first ?? "")
                .hasPrefix("p")
        }
        server.kill9()
        let token = try sqlite(db, "SELECT json_extract(cursor, '$.next_token') FROM poll_cursor WHERE stream = 'x.mentions'").first ?? ""
        let before = Int(token.dropFirst()) ?? 0
        XCTAssertGreaterThan(before, 0)
        XCTAssertLessThan(before, 30)
        let stored = Set(try sqlite(db, "SELECT external_id FROM message"))
        for t in tweets.prefix(before) { XCTAssertTrue(stored.contains(t["id"] as! String), "\(t["id"]!) is before the cursor") }

        let restarted = try RunningServer(db: db, connections: conn, scratch: s, logName: "serve2.log")
        try eventually(60, "all 30 mentions") { try sqliteInt(db, "SELECT count(*) FROM message WHERE platform = 'x'") == 30 }
        try eventually(20, "since_id is the newest") {
            try sqlite(db, "SELECT json_extract(cursor, '$.since_id') FROM poll_cursor WHERE stream = 'x.mentions'") == [tweets[0]["id"] as! String]
        }
        XCTAssertEqual(try sqliteInt(db, "SELECT count(*) - count(DISTINCT external_id) FROM message"), 0)
        // The restart resumed at the saved page instead of starting the run again.
        XCTAssertTrue(fake.requests.contains { ($0["query"] as? [String: String])?["pagination_token"] == token })
        print("poll crash: killed with \(before) of 30 mentions before the cursor; all 30 stored once after restart")
        XCTAssertEqual(restarted.terminate(), 0)
    }
}
