import Foundation
import XCTest

/// `kill -9` of the delivery worker at random points over hundreds of deliveries: afterwards
/// every action is sent or failed with a reason, and the platform saw no comment reply, hide,
/// review reply or direct message twice (each is looked for before it is sent again). Private
/// replies to comments have no way to be checked: that window is measured by `rounds bench
/// deliver` (docs/reliability.md).
final class DeliveryCrashTests: XCTestCase {
    func testKillNineAtRandomPointsSendsEachCommentReplyHideAndReviewReplyOnce() throws {
        let s = try Scratch()
        let page = DeliveryTests.page
        var records: [[String: Any]] = []
        for i in 0..<140 { records.append(["platform": "facebook", "kind": "comment", "id": "\(page)_7_\(i)", "post_id": "\(page)_7", "author": "p\(i)", "text": "question \(i)"]) }
        for i in 0..<50 { records.append(["platform": "instagram", "kind": "comment", "id": "1790000000000\(1000 + i)", "post_id": "17800000000000001", "author": "ig\(i)", "text": "comment \(i)"]) }
        for i in 0..<50 { records.append(["platform": "gbp", "kind": "review", "id": "rv\(i)", "post_id": DeliveryTests.location, "author": "R\(i)", "text": "review \(i)", "rating": 4]) }
        for i in 0..<40 { records.append(["platform": "messenger", "kind": "dm", "id": "m_c\(i)", "post_id": "psid\(i):\(page)", "author": "psid\(i)", "text": "dm \(i)"]) }
        let inbox = try DeliveryTests.inbox(s, extra: records)
        // Interleaved, as moderators would queue them, so that kills land on every kind.
        for i in 0..<140 {
            try DeliveryTests.queue(inbox, "\(page)_7_\(i)", i % 3 == 2 ? "hide" : "reply", text: "Thanks, please call us (\(i)).")
            if i < 50 { try DeliveryTests.queue(inbox, "1790000000000\(1000 + i)", i % 2 == 0 ? "reply" : "hide", text: "Thanks (\(i))") }
            if i < 50 { try DeliveryTests.queue(inbox, "rv\(i)", "reply", text: "Thank you for the review (\(i)).") }
            if i < 40 { try DeliveryTests.queue(inbox, "m_c\(i)", "reply", text: "Please call us (\(i)).") }
        }
        let total = 280
        XCTAssertEqual(try sqliteInt(inbox.db, "SELECT count(*) FROM outbox WHERE state = 'ready'"), total)

        let fake = try FakePlatform(scenario: DeliveryTests.scenario(delayMs: 60), scratch: s)
        let conn = try DeliveryTests.connections(s, fake)
        var kills = 0, killedWhileSending = 0
        for round in 0..<6 {
            let server = try RunningServer(db: inbox.db, connections: conn, scratch: s, logName: "serve-\(round).log",
                                           extra: ["--retry-seconds", "0.2", "--http-timeout", "2"])
            usleep(UInt32.random(in: 300_000...1_200_000))
            killedWhileSending += try sqliteInt(inbox.db, "SELECT count(*) FROM outbox WHERE state = 'sending'")
            server.kill9()
            kills += 1
        }
        let server = try RunningServer(db: inbox.db, connections: conn, scratch: s, logName: "serve-final.log", extra: ["--retry-seconds", "0.2"])
        try eventually(120, "every action sent or failed") {
            try sqliteInt(inbox.db, "SELECT count(*) FROM outbox WHERE state IN ('sent', 'failed')") == total
        }
        XCTAssertEqual(server.terminate(), 0)

        XCTAssertEqual(try sqlite(inbox.db, "SELECT state || ' ' || coalesce(last_error, '') FROM outbox WHERE state = 'failed'"), [],
                       "nothing failed: every fault here was a kill")
        let effects = fake.effects
        let checked = effects.filter { ["comment_reply", "hide", "review_reply", "dm"].contains($0.kind) }
        let duplicates = checked.filter { $0.dup }
        XCTAssertEqual(duplicates.map { "\($0.kind) \($0.target)" }, [], "an action made twice")
        XCTAssertEqual(Set(checked.map { "\($0.kind) \($0.target)" }).count, total, "each made once")
        let dms = effects.filter { $0.kind == "dm" }
        print("DeliveryCrashTests: \(kills) kills with \(killedWhileSending) deliveries in flight; \(checked.count) effects for \(total) actions, \(duplicates.count) duplicates")
        XCTAssertGreaterThan(killedWhileSending, 0, "the kills should land while deliveries are in flight")
        XCTAssertEqual(Set(dms.map { $0.target }).count, 40, "every DM delivered")
        let verify = try rounds(["audit", "verify", "--db", inbox.db])
        XCTAssertEqual(verify.status, 0, verify.out + verify.err)
    }
}
