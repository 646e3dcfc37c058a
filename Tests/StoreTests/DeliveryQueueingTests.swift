import Console
@testable import ConsoleAdapters
import Foundation
import GRDB
import InboxModel
import Reports
@testable import Store
import XCTest

/// Issue 19 on the moderator's side, over a real SQLite inbox: platform limits refused when a
/// reply is queued, hides and deletes queued for the platform, the rule when actions overtake
/// each other, and the delivery in the export and the report.
final class DeliveryQueueingTests: InboxFolderTestCase {
    var inbox: InboxDatabase!
    let page = "1234567890"
    let start = Date()

    override func setUpWithError() throws {
        try super.setUpWithError()
        inbox = try InboxDatabase(path: path)
        let ago = { (h: Double) in self.start.addingTimeInterval(-h * 3600) }
        try inbox.store([
            IncomingMessage(platform: .facebook, kind: .comment, externalID: "\(page)_1_1", postID: "\(page)_1", authorID: "p1", text: "hours?", receivedAt: ago(1)),
            IncomingMessage(platform: .x, kind: .mention, externalID: "1801", postID: "1801", authorID: "501", text: "@clinic open?", receivedAt: ago(1)),
            IncomingMessage(platform: .messenger, kind: .dm, externalID: "m_old", postID: "psid1:\(page)", authorID: "psid1", text: "hello", receivedAt: ago(72)),
            IncomingMessage(platform: .instagram, kind: .dm, externalID: "ig_1", postID: "igsid:178", authorID: "igsid", text: "hi", receivedAt: ago(1)),
            IncomingMessage(platform: .facebook, kind: .comment, externalID: "999_1_1", postID: "999_1", authorID: "p2", text: "other page", receivedAt: ago(1)),
            IncomingMessage(platform: .gbp, kind: .review, externalID: "rev1", postID: "accounts/1/locations/2", authorID: "Dana", text: "great", receivedAt: ago(1)),
        ].map { ClassifiedMessage($0, classification: nil) })
    }

    override func tearDownWithError() throws {
        inbox = nil
        try super.tearDownWithError()
    }

    func id(_ external: String) throws -> Int64 {
        try XCTUnwrap(try inbox.pool.read { try Int64.fetchOne($0, sql: "SELECT id FROM message WHERE external_id = ?", arguments: [external]) })
    }

    func store(_ role: String = "lead") -> SQLiteConsoleStore { SQLiteConsoleStore(inbox: inbox, role: role) }

    func refusal(_ r: Result<CommandReceipt, Refusal>) -> String? {
        if case let .failure(f) = r { return f.message }
        return nil
    }

    func testLimitsWindowsAndConnectionsAreCheckedWhenTheReplyIsQueued() throws {
        // Without any connection (a demo, a file-fed inbox) only the length limits apply.
        let s = store()
        let long = String(repeating: "a", count: 281)
        XCTAssertEqual(refusal(s.perform(.queueReply(message: try id("1801"), text: long, templateID: nil, visibility: .public, override: nil), moderator: "lee")),
                       "X posts are at most 280 characters (weighted); this one is 281.")
        XCTAssertNil(refusal(s.perform(.queueReply(message: try id("m_old"), text: "Please call us.", templateID: nil, visibility: .private, override: nil), moderator: "lee")))

        try inbox.publishDeliveryAccounts([DeliveryAccount(platform: "facebook", account: page), DeliveryAccount(platform: "x", account: "42"),
                                           DeliveryAccount(platform: "gbp", account: "accounts/1/locations/2")])
        // A 280-character post of CJK weighs 560.
        XCTAssertNotNil(refusal(s.perform(.queueReply(message: try id("1801"), text: String(repeating: "診", count: 141), templateID: nil,
                                                      visibility: .public, override: nil), moderator: "lee"))?.contains("weighted"))
        XCTAssertNil(refusal(s.perform(.queueReply(message: try id("1801"), text: "Yes, https://example.org/" + String(repeating: "x", count: 200) + " is our page",
                                                   templateID: nil, visibility: .public, override: nil), moderator: "lee")),
                     "a link counts 23 whatever its length")
        let ig = refusal(s.perform(.queueReply(message: try id("ig_1"), text: "hi", templateID: nil, visibility: .private, override: nil), moderator: "lee"))
        XCTAssertEqual(ig?.hasPrefix("No connection for this message's Instagram page or account"), true, ig ?? "queued")
        let other = refusal(s.perform(.queueReply(message: try id("999_1_1"), text: "hi", templateID: nil, visibility: .public, override: nil), moderator: "lee"))
        XCTAssertEqual(other?.hasPrefix("No connection"), true, "a comment on another page's post: \(other ?? "queued")")
        // Hiding it is still the moderator's call here; the receipt says it stays up there.
        guard case let .success(hid) = s.perform(.hide(message: try id("999_1_1"), reasonCode: "spam"), moderator: "lee") else {
            return XCTFail("hide refused")
        }
        XCTAssertTrue(hid.summary.hasSuffix("here only: no connection for its page"), hid.summary)
        XCTAssertEqual(try inbox.pool.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM outbox WHERE action = 'hide'") }, 0)
        XCTAssertEqual(refusal(s.perform(.queueReply(message: try id("rev1"), text: "Thanks", templateID: nil, visibility: .private, override: nil), moderator: "lee")),
                       "Google reviews can only be answered in public.")
        // The 3-day-old DM was queued before the connection existed; a new one now is refused.
        try inbox.pool.write { try $0.execute(sql: "UPDATE outbox SET state = 'cancelled'") }
        let old = refusal(s.perform(.queueReply(message: try id("m_old"), text: "Please call us.", templateID: nil, visibility: .private, override: nil), moderator: "lee"))
        XCTAssertEqual(old?.hasPrefix("Outside Meta's 24-hour messaging window"), true, old ?? "queued")
        // With the human-agent permission it may go (up to 7 days).
        try inbox.publishDeliveryAccounts([DeliveryAccount(platform: "facebook", account: page, humanAgent: true)])
        XCTAssertNil(refusal(s.perform(.queueReply(message: try id("m_old"), text: "Please call us.", templateID: nil, visibility: .private, override: nil), moderator: "lee")))
        XCTAssertEqual(try inbox.pool.read { try String.fetchOne($0, sql: "SELECT account FROM outbox WHERE state = 'pending'") }, page)
    }

    func testAHideOvertakesAQueuedReplyAndIsDeliveredAfterItsUndoWindow() throws {
        try inbox.publishDeliveryAccounts([DeliveryAccount(platform: "facebook", account: page)])
        let s = store()
        let m = try id("\(page)_1_1")
        guard case .success = s.perform(.queueReply(message: m, text: "We're open 8-6.", templateID: nil, visibility: .public, override: nil), moderator: "ana") else {
            return XCTFail("reply refused")
        }
        // Another moderator (the first one's claim long gone) hides the comment.
        guard case let .success(hid) = s.perform(.hide(message: m, reasonCode: "spam"), moderator: "ben") else { return XCTFail("hide refused") }
        XCTAssertTrue(hid.summary.contains("its queued reply was cancelled"), hid.summary)
        let rows = try inbox.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT action, state, account, last_error FROM outbox ORDER BY id").map { "\($0[0] as String) \($0[1] as String) \($0[2] as String? ?? "-") \($0[3] as String? ?? "")" }
        }
        XCTAssertEqual(rows, ["reply cancelled \(page) overtaken: message hidden by ben", "hide pending \(page) "])
        let audit = try inbox.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT action, moderator, coalesce(reason_code, ''), coalesce(detail, '') FROM action WHERE action IN ('reply_cancelled', 'hide') ORDER BY id")
                .map { "\($0[0] as String) \($0[1] as String) \($0[2] as String) \($0[3] as String)" }
        }
        XCTAssertEqual(Set(audit), ["hide ben spam ", "reply_cancelled ben overtaken reply queued by ana: overtaken: message hidden by ben"],
                       "the cancellation is on the record, with its reason, for the one who queued it")

        // Inside the undo window the worker does not take it; after, it does, once.
        XCTAssertEqual(try inbox.leaseDeliveries(owner: "w1", limit: 10).count, 0)
        let later = AuditEvent.nowMs() + 11_000
        let leased = try inbox.leaseDeliveries(owner: "w1", limit: 10, now: later)
        XCTAssertEqual(leased.map(\.action), ["hide"])
        XCTAssertEqual(try inbox.leaseDeliveries(owner: "w2", limit: 10, now: later).count, 0, "leased to one worker")
        XCTAssertFalse(try inbox.finishDelivery(leased[0].id, owner: "w2", outcome: .sent(ref: nil), now: later), "only the lease holder records")
        XCTAssertTrue(try inbox.finishDelivery(leased[0].id, owner: "w1", outcome: .sent(ref: "\(page)_1_1"), now: later + 50))

        // The export carries the delivery; the report counts it.
        var exported: [ExportRow] = []
        try inbox.exportActions(from: start.addingTimeInterval(-60), to: Date().addingTimeInterval(60), includeText: false) { exported.append($0) }
        let hide = try XCTUnwrap(exported.first { $0.action == "hide" })
        XCTAssertEqual(hide.delivery, "sent")
        XCTAssertEqual(hide.platformRef, "\(page)_1_1")
        XCTAssertEqual(hide.deliveredAt.map { Int64($0.timeIntervalSince1970 * 1000) }, later + 50)
        XCTAssertEqual(exported.first { $0.action == "reply_queued" }?.delivery, "cancelled")

        // Undoing a hide that reached the platform queues the unhide.
        let hideAction = try XCTUnwrap(hid.undoableAction)
        guard case let .success(undone) = s.perform(.undo(action: hideAction), moderator: "ben") else { return XCTFail("undo refused") }
        XCTAssertTrue(undone.summary.contains("unhiding it on the platform"), undone.summary)
        XCTAssertEqual(try inbox.pool.read { try String.fetchAll($0, sql: "SELECT action || ' ' || state FROM outbox ORDER BY id") },
                       ["reply cancelled", "hide sent", "unhide pending"])
    }

    func testAFailedReplyReopensItsMessageAndTheReportCountsIt() throws {
        try inbox.publishDeliveryAccounts([DeliveryAccount(platform: "facebook", account: page)])
        let s = store()
        let m = try id("\(page)_1_1")
        guard case .success = s.perform(.queueReply(message: m, text: "Please call us.", templateID: nil, visibility: .public, override: nil), moderator: "ana") else {
            return XCTFail("reply refused")
        }
        XCTAssertEqual(try inbox.pool.read { try String.fetchOne($0, sql: "SELECT state FROM message WHERE id = ?", arguments: [m]) }, "done")
        let later = AuditEvent.nowMs() + 11_000
        let d = try XCTUnwrap(try inbox.leaseDeliveries(owner: "w", limit: 1, now: later).first)
        XCTAssertTrue(try inbox.finishDelivery(d.id, owner: "w", outcome: .failed(reason: "the person cannot receive messages", code: "551"), now: later))
        XCTAssertEqual(try inbox.pool.read { try String.fetchOne($0, sql: "SELECT state FROM message WHERE id = ?", arguments: [m]) }, "open",
                       "back in front of the team")
        let report = try inbox.dayReport(from: start.addingTimeInterval(-3600), to: Date().addingTimeInterval(3600), timeZone: .current,
                                         targets: [:], stopWords: [])
        XCTAssertEqual(report.deliveries.first { $0.state == "failed" }?.count, 1)
        XCTAssertEqual(report.deliveryFailures.first?.reason, "the person cannot receive messages (551)")
        XCTAssertTrue(DayReportText.render(report, title: "day", zone: .current).contains("1 FAILED"))
        XCTAssertEqual(try inbox.pool.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM action WHERE action = 'delivery_failed' AND reason_code = '551'") }, 1)

        // A lead sends it again; delivered, it closes the message it had reopened.
        guard case .success = s.perform(.retryDelivery(outbox: d.id), moderator: "lee") else { return XCTFail("retry refused") }
        let again = try XCTUnwrap(try inbox.leaseDeliveries(owner: "w", limit: 1, now: later + 1000).first)
        XCTAssertTrue(try inbox.finishDelivery(again.id, owner: "w", outcome: .sent(ref: "c1"), now: later + 1100))
        XCTAssertEqual(try inbox.pool.read { try String.fetchOne($0, sql: "SELECT state FROM message WHERE id = ?", arguments: [m]) }, "done")
        XCTAssertEqual(try inbox.pool.read { try String.fetchOne($0, sql: "SELECT state_before || '>' || state_after FROM action WHERE action = 'delivery_sent'") }, "open>done")
        XCTAssertEqual(try inbox.verifyAuditChain(), .intact(events: try inbox.pool.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM action") ?? 0 }))
    }
}
