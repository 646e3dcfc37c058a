import Console
@testable import ConsoleAdapters
import Foundation
import GRDB
import InboxModel
@testable import Store
import XCTest

/// A lead's retry and cancel of a failed delivery, after the delivery worker's own transitions.
final class DeliveryCommandTests: DeliveryInboxTestCase {
    func testALeadRetriesAFailedDeliveryAndAModeratorIsRefused() throws {
        let outbox = try failedReply()
        // A moderator is refused, and nothing changes: not the entry, not the log.
        let eventsBefore = try inbox.auditEvents().count
        for c: ModeratorCommand in [.retryDelivery(outbox: outbox), .cancelDelivery(outbox: outbox)] {
            switch moderator.perform(c, moderator: "ana") {
            case .success: XCTFail("a moderator \(c)")
            case .failure(let r): XCTAssertTrue(r.message.hasSuffix("leads only."), r.message)
            }
        }
        XCTAssertEqual(try outboxRow(outbox)["state"] as String, "failed")
        XCTAssertEqual(try inbox.auditEvents().count, eventsBefore)

        // The lead's retry: ready again, the attempts kept, the platform's answer cleared, audited.
        let receipt = try lead.perform(.retryDelivery(outbox: outbox), moderator: "lee").get()
        XCTAssertEqual(receipt.summary, "Reply will be sent again")
        let row = try outboxRow(outbox)
        XCTAssertEqual(row["state"] as String, "ready")
        XCTAssertEqual(row["attempts"] as Int, 1)
        XCTAssertNil(row["next_attempt_at"] as Int64?)
        XCTAssertNil(row["last_error"] as String?)
        XCTAssertNil(row["error_code"] as String?)
        let e = try XCTUnwrap(inbox.auditEvents().last)
        XCTAssertEqual(e.action, "delivery_retry")
        XCTAssertEqual(e.outboxID, outbox)
        XCTAssertEqual(e.messageID, messageID)
        XCTAssertEqual(e.moderator, "lee")
        XCTAssertEqual(e.role, "lead")
        XCTAssertEqual(e.reasonCode, "551")
        XCTAssertEqual(try lead.failedDeliveryCount(), 0)
        XCTAssertEqual(try inbox.verifyAuditChain(), .intact(events: try inbox.auditEvents().count))
        // Once ready it is no longer the lead's to retry; the worker takes it as its next attempt.
        XCTAssertThrowsError(try lead.perform(.retryDelivery(outbox: outbox), moderator: "lee").get())
        XCTAssertEqual(try inbox.leaseDeliveries(owner: "w2", limit: 10).map(\.attempt), [2])
    }

    func testALeadCancelsWhatHasNotLeftButNotWhatIsBeingSent() throws {
        let outbox = try failedReply()
        _ = try lead.perform(.retryDelivery(outbox: outbox), moderator: "lee").get()
        _ = try inbox.leaseDeliveries(owner: "w1", limit: 10)
        // Leased: the platform may be acting on it this moment.
        XCTAssertThrowsError(try lead.perform(.cancelDelivery(outbox: outbox), moderator: "lee").get()) {
            XCTAssertEqual(($0 as? Refusal)?.message, "That delivery is being sent right now; try again in a moment.")
        }
        XCTAssertTrue(try inbox.finishDelivery(outbox, owner: "w1", outcome: .retry(at: AuditEvent.nowMs() + 60_000, reason: "rate limited",
                                                                                   code: "613", uncertain: false)))
        XCTAssertEqual(try lead.detail(id: messageID)?.deliveries.map(\.state), [.retrying])
        let receipt = try lead.perform(.cancelDelivery(outbox: outbox), moderator: "lee").get()
        XCTAssertEqual(receipt.summary, "Reply cancelled: it will not be sent")
        let row = try outboxRow(outbox)
        XCTAssertEqual(row["state"] as String, "cancelled")
        XCTAssertNil(row["next_attempt_at"] as Int64?)
        let e = try XCTUnwrap(inbox.auditEvents().last)
        XCTAssertEqual([e.action, e.detail, e.role], ["delivery_cancelled", "cancelled by lead", "lead"])
        XCTAssertEqual(e.outboxID, outbox)
        let shown = try XCTUnwrap(lead.detail(id: messageID)?.deliveries.first)
        XCTAssertEqual(shown.state, .cancelled)
        XCTAssertEqual(shown.lastError, "by lee (lead)")
        XCTAssertThrowsError(try lead.perform(.cancelDelivery(outbox: outbox), moderator: "lee").get(), "already cancelled")
        XCTAssertThrowsError(try lead.perform(.retryDelivery(outbox: 999), moderator: "lee").get(), "no such entry")
    }
}
