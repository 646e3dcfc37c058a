import Console
import ConsoleAdapters
import Foundation
import GRDB
import InboxModel
@testable import Store
import XCTest

/// The store's side of paging: which emergencies are due, what "taken" means, and that each
/// page and its end are recorded once, with their audit rows. Moderators act through the
/// console's own store (`SQLiteConsoleStore.perform`).
final class PagingStoreTests: InboxFolderTestCase {
    let minute: Int64 = 60_000
    var now: Int64 = 0
    var inbox: InboxDatabase!
    var console: SQLiteConsoleStore!

    override func setUpWithError() throws {
        try super.setUpWithError()
        inbox = try InboxDatabase(path: path)
        console = SQLiteConsoleStore(inbox: inbox, role: "moderator")
        now = AuditEvent.nowMs()
    }

    /// Stores a message received `minutesAgo`, with an emergency flag if `emergency` is given
    /// (decision, severity); its id.
    @discardableResult
    func message(_ id: String, minutesAgo: Double, emergency: (Decision, String)? = nil, platform: Platform = .facebook) throws -> Int64 {
        var m = ClassifiedMessage(IncomingMessage(
            platform: platform, kind: .comment, externalID: id, authorID: "a-\(id)", authorHandle: "ana", authorName: "Ana",
            text: "text of \(id)", receivedAt: Date(timeIntervalSince1970: Double(now - Int64(minutesAgo * 60_000)) / 1000)))
        m.classification = Classification(language: "en", sentiment: .negative, flags: emergency.map {
            [FlagHit(flag: .emergency, decision: $0.0, score: 0.9, severity: $0.1, category: "medical", evidence: [])]
        } ?? [], template: nil)
        try inbox.store([m])
        return try XCTUnwrap(inbox.pool.read { try Int64.fetchOne($0, sql: "SELECT id FROM message WHERE external_id = ?", arguments: [id]) })
    }

    func act(_ command: ModeratorCommand, as moderator: String) throws {
        if case let .failure(refusal) = console.perform(command, moderator: moderator) { XCTFail("\(command): \(refusal)") }
    }

    func due(after minutes: Int64 = 5) throws -> [Int64] { try inbox.messagesToPage(now: now, pageAfterMs: minutes * minute).map(\.messageID) }

    func audit(_ action: String) throws -> [AuditEvent] { try inbox.auditEvents().filter { $0.action == action } }

    func testOnlyImminentEmergenciesAtActPageAfterTheDelayWithinADay() throws {
        let overdue = try message("overdue", minutesAgo: 10, emergency: (.act, "imminent"))
        let fresh = try message("fresh", minutesAgo: 1, emergency: (.act, "imminent"))
        try message("urgent-only", minutesAgo: 10, emergency: (.act, "urgent"))
        try message("flag-level", minutesAgo: 10, emergency: (.flag, "imminent"))
        try message("review-level", minutesAgo: 10, emergency: (.review, "imminent"))
        try message("not-an-emergency", minutesAgo: 10)
        try message("two-days-old", minutesAgo: 2 * 24 * 60, emergency: (.act, "imminent"))
        XCTAssertEqual(try due(), [overdue])
        XCTAssertEqual(try due(after: 0), [overdue, fresh])
        let c = try XCTUnwrap(inbox.messagesToPage(now: now, pageAfterMs: 5 * minute).first)
        XCTAssertEqual(c, PageCandidate(messageID: overdue, platform: "facebook", lane: "urgent", receivedAt: now - 10 * minute,
                                        reason: "unclaimed", escalatedBy: nil, told: []))
        XCTAssertEqual(c.ageMinutes(now: now), 10)
    }

    func testAClaimAReplyOrDoneTakesAnEmergencyAndAnExpiredClaimDoesNot() throws {
        let claimed = try message("claimed", minutesAgo: 10, emergency: (.act, "imminent"))
        let replied = try message("replied", minutesAgo: 10, emergency: (.act, "imminent"))
        let done = try message("done", minutesAgo: 10, emergency: (.act, "imminent"))
        let lapsed = try message("lapsed", minutesAgo: 10, emergency: (.act, "imminent"))
        try act(.claim(message: claimed), as: "alice")
        try act(.queueReply(message: replied, text: "Please call 911 now.", templateID: nil, visibility: .private, override: nil), as: "bob")
        try act(.markDone(message: done), as: "carol")
        try act(.claim(message: lapsed), as: "dan")
        try inbox.pool.write { try $0.execute(sql: "UPDATE message SET claim_expires_at = ? WHERE id = ?", arguments: [now - 1, lapsed]) }
        XCTAssertEqual(try due(), [lapsed])
    }

    func testAPageIsRecordedPerTargetOnceAndResolvedOnceWhenTaken() throws {
        let id = try message("e1", minutesAgo: 7, emergency: (.act, "imminent"))
        let page = try XCTUnwrap(inbox.messagesToPage(now: now, pageAfterMs: 5 * minute).first)
        try inbox.recordPageSent(page, target: "ED charge nurse", kind: "pagerduty", now: now)
        try inbox.recordPageSent(page, target: "ED charge nurse", kind: "pagerduty", now: now)  // a repeat records nothing
        try inbox.recordPageFailed(messageID: id, target: "#ed", kind: "slack", event: "page", problem: "HTTP 500", retryAt: now + 2000, now: now)
        try inbox.recordPageSent(page, target: "#ed", kind: "slack", now: now + 5000)
        XCTAssertEqual(try inbox.pool.read { try Row.fetchOne($0, sql: "SELECT reason, paged_at, paged_by, targets, resolved_at FROM page") },
                       ["reason": "unclaimed", "paged_at": now, "paged_by": nil, "targets": "ED charge nurse,#ed", "resolved_at": nil])
        XCTAssertEqual(try audit("page_sent").map(\.detail), ["ED charge nurse (pagerduty): unclaimed, 7 min old", "#ed (slack): unclaimed, 7 min old"])
        XCTAssertEqual(try audit("page_sent").map(\.moderator), ["rounds-serve", "rounds-serve"])
        XCTAssertEqual(try audit("page_failed").first?.detail, "#ed (slack): HTTP 500; next attempt at \(InboxDatabase.isoTime(now + 2000))")
        XCTAssertEqual(try audit("page_failed").first?.messageID, id)
        // Still due (a third target may have to hear), with who already did.
        XCTAssertEqual(try inbox.messagesToPage(now: now, pageAfterMs: 5 * minute).first?.told, ["ED charge nurse", "#ed"])
        XCTAssertEqual(try inbox.pagesToResolve(now: now), [])

        try act(.claim(message: id), as: "alice")
        now = AuditEvent.nowMs()
        XCTAssertEqual(try due(), [])
        let over = try inbox.pagesToResolve(now: now)
        XCTAssertEqual(over.map(\.takenBecause), ["claimed by alice"])
        XCTAssertEqual(over.first?.page.told, ["ED charge nurse", "#ed"])
        XCTAssertTrue(try inbox.recordPageResolved(over[0], told: ["ED charge nurse", "#ed"], now: now))
        XCTAssertFalse(try inbox.recordPageResolved(over[0], told: ["ED charge nurse", "#ed"], now: now), "once")
        XCTAssertEqual(try audit("page_resolved").map(\.detail), ["claimed by alice; told ED charge nurse, #ed"])
        // Released again: the page is over, it is not sent again.
        try act(.unclaim(message: id), as: "alice")
        XCTAssertEqual(try due(), [])
        XCTAssertEqual(try inbox.pagesToResolve(now: now), [])
        XCTAssertEqual(try inbox.verifyAuditChain(), .intact(events: try inbox.auditEvents().count))
    }

    func testAnEscalationInUrgentPagesAtOnceAndOnlySomeoneElseTakesIt() throws {
        let id = try message("figurative", minutesAgo: 0, emergency: (.review, "urgent"))
        let review = try message("a-review", minutesAgo: 0)
        try act(.claim(message: id), as: "alice")
        try act(.escalate(message: id, contact: "Lead on duty", note: "sounds real"), as: "alice")
        try act(.escalate(message: review, contact: "Patient relations", note: nil), as: "bob")
        let page = try XCTUnwrap(inbox.messagesToPage(now: now, pageAfterMs: 5 * minute).first)
        XCTAssertEqual(try due(), [id], "escalations outside Urgent go to their contact, not on call")
        XCTAssertEqual(page.reason, "escalated")
        XCTAssertEqual(page.escalatedBy, "alice")
        try inbox.recordPageSent(page, target: "ops", kind: "webhook", now: now)
        XCTAssertEqual(try sqliteRow("SELECT reason, paged_by FROM page"), ["escalated", "alice"])
        XCTAssertEqual(try audit("page_sent").first?.detail, "ops (webhook): escalated by alice, 0 min old")
        XCTAssertEqual(try inbox.pagesToResolve(now: AuditEvent.nowMs()), [], "the escalator's own claim does not end it")
        try act(.queueReply(message: id, text: "Please call 911 now.", templateID: nil, visibility: .private, override: nil), as: "alice")
        XCTAssertEqual(try inbox.pagesToResolve(now: AuditEvent.nowMs()).map(\.takenBecause), ["replied by alice"])
    }

    func testTheKeyPrefixIsMadeOnceAndKept() throws {
        let prefix = try inbox.pagingKeyPrefix()
        XCTAssertTrue(prefix.hasPrefix("rounds-") && prefix.count == 23, prefix)
        XCTAssertEqual(try inbox.pagingKeyPrefix(), prefix)
        XCTAssertEqual(try InboxDatabase(path: path).pagingKeyPrefix(), prefix)
        let other = try InboxDatabase(path: dir.appendingPathComponent("other.sqlite").path)
        XCTAssertNotEqual(try other.pagingKeyPrefix(), prefix)
    }

    private func sqliteRow(_ sql: String) throws -> [String?] {
        try inbox.pool.read { db in
            guard let r = try Row.fetchOne(db, sql: sql) else { return [] }
            return r.databaseValues.map { String.fromDatabaseValue($0) }
        }
    }
}
