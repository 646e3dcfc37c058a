import Foundation
import GRDB
import InboxModel
@testable import Store
import XCTest

/// The server's tables: the spool, the pollers' cursors and the connections' states.
final class SpoolTests: InboxFolderTestCase {
    func message(_ id: String, _ text: String = "hello") -> ClassifiedMessage {
        ClassifiedMessage(IncomingMessage(platform: .facebook, kind: .comment, externalID: id, authorID: "a1", authorHandle: "ana",
                                          text: text, receivedAt: Date(timeIntervalSince1970: 1_764_000_000)))
    }

    func count(_ inbox: InboxDatabase, _ sql: String) throws -> Int {
        try inbox.pool.read { try Int.fetchOne($0, sql: sql) ?? -1 }
    }

    func testKeyedRepeatsAreKeptOnceAndUnkeyedBodiesEveryTime() throws {
        let inbox = try InboxDatabase(path: path)
        let kept = try inbox.spool([SpoolEntry(source: "meta", body: Data("a".utf8)), SpoolEntry(source: "meta", body: Data("a".utf8)),
                                    SpoolEntry(source: "gbp-push", body: Data("p".utf8), dedupeKey: "gbp:1"),
                                    SpoolEntry(source: "gbp-push", body: Data("p".utf8), dedupeKey: "gbp:1")])
        XCTAssertEqual(kept, [true, true, true, false])
        XCTAssertEqual(try inbox.spoolDepth().count, 3)
        XCTAssertEqual(try inbox.waitingSpool(source: "meta", limit: 10).map { String(decoding: $0.body, as: UTF8.self) }, ["a", "a"])
        XCTAssertEqual(try inbox.waitingSpool(source: "gbp-push", limit: 10).count, 1)
    }

    func testStoringWhatABodyCarriedMarksItDoneInTheSameTransaction() throws {
        let inbox = try InboxDatabase(path: path)
        _ = try inbox.spool([SpoolEntry(source: "meta", body: Data("m".utf8)),
                             SpoolEntry(source: "gbp-push", body: Data("p".utf8), dedupeKey: "gbp:7")])
        let waiting = try inbox.waitingSpool(source: "meta", limit: 10) + inbox.waitingSpool(source: "gbp-push", limit: 10)
        let rejection = Rejection(sourceFile: "webhook meta #1", line: 1, reason: "broken", raw: Data("x".utf8))
        XCTAssertEqual(try inbox.storeSpooled([message("c1")], rejections: [rejection], done: waiting.map(\.id)), [.inserted])
        XCTAssertEqual(try inbox.spoolDepth().count, 0)
        // The unkeyed row is gone; the keyed one stays, emptied, to refuse Pub/Sub's repeats.
        XCTAssertEqual(try count(inbox, "SELECT count(*) FROM spool"), 1)
        XCTAssertEqual(try count(inbox, "SELECT length(body) FROM spool WHERE dedupe_key = 'gbp:7'"), 0)
        XCTAssertEqual(try inbox.spool([SpoolEntry(source: "gbp-push", body: Data("p".utf8), dedupeKey: "gbp:7")]), [false])
        XCTAssertEqual(try count(inbox, "SELECT count(*) FROM rejected_record"), 1)
        // Nine days later the key is forgotten.
        try inbox.purgeSpoolKeys(before: AuditEvent.nowMs() + 1)
        XCTAssertEqual(try count(inbox, "SELECT count(*) FROM spool"), 0)
    }

    func testAFailedStoreLeavesTheBodyWaitingAndTheCursorWhereItWas() throws {
        let inbox = try InboxDatabase(path: path)
        _ = try inbox.spool([SpoolEntry(source: "meta", body: Data("m".utf8))])
        let id = try XCTUnwrap(inbox.waitingSpool(source: "meta", limit: 1).first?.id)
        try inbox.storePolled([message("p1")], rejections: [], stream: "x.mentions", cursor: "{\"since_id\":\"1\"}")
        // A message whose insert fails (a NOT NULL column) rolls back the whole transaction.
        try inbox.pool.write { db in
            try db.execute(sql: "CREATE TRIGGER fail_c2 BEFORE INSERT ON message WHEN NEW.external_id = 'c2' BEGIN SELECT RAISE(ABORT, 'disk full'); END")
        }
        XCTAssertThrowsError(try inbox.storeSpooled([message("c2")], rejections: [], done: [id]))
        XCTAssertEqual(try inbox.spoolDepth().count, 1)
        XCTAssertThrowsError(try inbox.storePolled([message("c2")], rejections: [], stream: "x.mentions", cursor: "{\"since_id\":\"2\"}"))
        XCTAssertEqual(try inbox.pollCursor("x.mentions"), "{\"since_id\":\"1\"}")
        XCTAssertEqual(try count(inbox, "SELECT count(*) FROM message"), 1)
    }

    func testDeferredBodiesWaitForTheirTime() throws {
        let inbox = try InboxDatabase(path: path)
        _ = try inbox.spool([SpoolEntry(source: "gbp-push", body: Data("p".utf8), dedupeKey: "gbp:9")])
        let id = try XCTUnwrap(inbox.waitingSpool(source: "gbp-push", limit: 1).first?.id)
        let now = AuditEvent.nowMs()
        try inbox.deferSpooled(id, retryAt: now + 60_000, reason: "Google answered 503")
        XCTAssertEqual(try inbox.waitingSpool(source: "gbp-push", limit: 1, now: now).count, 0)
        XCTAssertEqual(try inbox.waitingSpool(source: "gbp-push", limit: 1, now: now + 60_000).first?.attempts, 1)
    }

    func testConnectionStatusKeepsTheLastSuccessAndError() throws {
        let inbox = try InboxDatabase(path: path)
        try inbox.recordConnectionStatus(ConnectionStatus(name: "X", state: .ok, lastSuccessAt: 1000, updatedAt: 1000))
        try inbox.recordConnectionStatus(ConnectionStatus(name: "X", state: .rateLimited, detail: "rate limited", until: 9000,
                                                          lastErrorAt: 2000, updatedAt: 2000))
        let s = try XCTUnwrap(inbox.connectionStatuses().first)
        XCTAssertEqual(s.state, .rateLimited)
        XCTAssertEqual(s.until, 9000)
        XCTAssertEqual(s.lastSuccessAt, 1000, "a failure keeps the time of the last success")
        XCTAssertEqual(s.lastErrorAt, 2000)
    }
}
