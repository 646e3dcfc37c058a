import Console
@testable import ConsoleAdapters
import Foundation
import GRDB
import InboxModel
@testable import Store
import XCTest

/// The console's store over a real SQLite file: pages, counts, actions and their audit rows.
final class ConsoleQueriesTests: InboxFolderTestCase {
    var inbox: InboxDatabase!

    override func setUpWithError() throws {
        try super.setUpWithError()
        inbox = try InboxDatabase(path: path)
    }

    override func tearDownWithError() throws {
        inbox = nil
        try super.tearDownWithError()
    }

    func emergency(_ severity: String) -> Classification {
        Classification(language: "en", sentiment: .negative, flags: [
            FlagHit(flag: .emergency, decision: .act, score: 0.9, severity: severity, evidence: []),
        ], template: nil)
    }

    /// Messages m0..m(n-1), one minute apart; m0 is the oldest.
    func seed(_ n: Int, classification: (Int) -> Classification? = { _ in nil }) throws {
        var batch: [ClassifiedMessage] = []
        for i in 0..<n {
            batch.append(ClassifiedMessage(IncomingMessage(
                platform: i % 2 == 0 ? .facebook : .x, kind: .comment, externalID: "m\(i)", authorID: "a\(i % 3)",
                authorHandle: "user\(i % 3)", text: i % 5 == 0 ? "flu shot question \(i)" : "hello \(i)",
                receivedAt: Date(timeIntervalSince1970: 1_764_000_000 + Double(i) * 60)
            ), classification: classification(i)))
        }
        try inbox.store(batch)
    }

    func testKeysetPagesWalkTheWholeQueueInOrderBothWays() throws {
        try seed(57) { $0 == 10 ? self.emergency("urgent") : $0 == 20 ? self.emergency("imminent") : nil }
        let store = SQLiteConsoleStore(inbox: inbox, role: "moderator")
        var seen: [Int64] = []
        var page = try store.page(queue: .all, query: .all, moderator: "ana", anchor: .start, limit: 10)
        while !page.isEmpty {
            seen += page.map(\.id)
            page = try store.page(queue: .all, query: .all, moderator: "ana", anchor: .after(page.last!.cursor), limit: 10)
        }
        XCTAssertEqual(seen.count, 57)
        XCTAssertEqual(seen, seen.sorted(by: >), "All is newest first (ids rise with time here)")
        XCTAssertEqual(Set(seen).count, 57, "no row twice")

        // Backwards from the end gives the same rows.
        var back: [Int64] = []
        var p = try store.page(queue: .all, query: .all, moderator: "ana", anchor: .end, limit: 10)
        while !p.isEmpty {
            back = p.map(\.id) + back
            p = try store.page(queue: .all, query: .all, moderator: "ana", anchor: .before(p.first!.cursor), limit: 10)
        }
        XCTAssertEqual(back, seen)

        // The urgent lane puts imminent before urgent.
        let urgent = try store.page(queue: .urgent, query: .all, moderator: "ana", anchor: .start, limit: 10)
        XCTAssertEqual(urgent.map(\.snippet), ["flu shot question 20", "flu shot question 10"])
        XCTAssertEqual(urgent.first?.emergencySeverity, "imminent")
        XCTAssertEqual(try store.queueCounts(moderator: "ana")[.urgent], 2)
        XCTAssertEqual(try store.queueCounts(moderator: "ana")[.new], 55)
        XCTAssertEqual(try store.queueCounts(moderator: "ana")[.all], 57)
    }

    func testPriorityLanePagesBothWaysAcrossPriorities() throws {
        // Every message is an emergency: imminent, urgent, or held at review, interleaved in time.
        try seed(40) { i in
            let c = self.emergency(i % 3 == 0 ? "imminent" : "urgent")
            if i % 3 == 2 { var r = c; r.flags[0].decision = .review; return r }
            return c
        }
        let store = SQLiteConsoleStore(inbox: inbox, role: "moderator")
        let all = try store.page(queue: .urgent, query: .all, moderator: "a", anchor: .start, limit: 100)
        XCTAssertEqual(all.count, 40)
        let priorities = all.map(\.cursor.priority)
        XCTAssertEqual(priorities, priorities.sorted(), "imminent, then urgent, then review")
        var forward: [Int64] = []
        var page = try store.page(queue: .urgent, query: .all, moderator: "a", anchor: .start, limit: 3)
        while !page.isEmpty {
            forward += page.map(\.id)
            page = try store.page(queue: .urgent, query: .all, moderator: "a", anchor: .after(page.last!.cursor), limit: 3)
        }
        XCTAssertEqual(forward, all.map(\.id))
        var backward: [Int64] = []
        page = try store.page(queue: .urgent, query: .all, moderator: "a", anchor: .end, limit: 3)
        while !page.isEmpty {
            backward = page.map(\.id) + backward
            page = try store.page(queue: .urgent, query: .all, moderator: "a", anchor: .before(page.first!.cursor), limit: 3)
        }
        XCTAssertEqual(backward, all.map(\.id))
        let mid = all[20]
        XCTAssertEqual(try store.page(queue: .urgent, query: .all, moderator: "a", anchor: .from(mid.cursor), limit: 2).map(\.id), [all[20].id, all[21].id])
    }

    func testFiltersAndHostileSearchText() throws {
        try seed(30)
        let store = SQLiteConsoleStore(inbox: inbox, role: "moderator")
        var q = InboxQuery()
        q.terms = [TextTerm(text: "flu shot", isPhrase: true)]
        q.platforms = FieldFilter(include: [.facebook])
        let rows = try store.page(queue: .all, query: q, moderator: "ana", anchor: .start, limit: 50)
        XCTAssertEqual(Set(rows.map(\.snippet)), Set([0, 10, 20].map { "flu shot question \($0)" }))
        for hostile in ["ver1.1*", "\"", "NEAR(a b)", "x OR y", "col:flu", "'; DROP TABLE message; --"] {
            var h = InboxQuery()
            h.terms = [TextTerm(text: hostile)]
            XCTAssertNoThrow(try store.page(queue: .all, query: h, moderator: "ana", anchor: .start, limit: 5), hostile)
        }
        XCTAssertEqual(try store.queueCounts(moderator: "ana")[.all], 30, "nothing was dropped")
        var negated = InboxQuery()
        negated.terms = [TextTerm(text: "flu", negated: true)]
        XCTAssertEqual(try store.page(queue: .all, query: negated, moderator: "ana", anchor: .start, limit: 50).count, 24)
    }

    func testFlagFiltersKeepAndDropFlaggedMessages() throws {
        try seed(30, classification: { $0 % 7 == 0 ? self.emergency("urgent") : nil })  // m0, m7, m14, m21, m28
        let store = SQLiteConsoleStore(inbox: inbox, role: "moderator")
        var q = InboxQuery()
        q.flags = FieldFilter(include: [.emergency])
        let flagged = try store.page(queue: .all, query: q, moderator: "ana", anchor: .start, limit: 50)
        XCTAssertEqual(flagged.count, 5)
        q.flags = FieldFilter(exclude: [.emergency])
        let others = try store.page(queue: .all, query: q, moderator: "ana", anchor: .start, limit: 50)
        XCTAssertEqual(others.count, 25)
        XCTAssertTrue(Set(flagged.map(\.id)).isDisjoint(with: others.map(\.id)))
        q.flags = FieldFilter(include: [.spam])
        XCTAssertEqual(try store.page(queue: .all, query: q, moderator: "ana", anchor: .start, limit: 50).count, 0)

        // An edit that is classified again moves the message in and out of the filters.
        let spam = Classification(language: "en", sentiment: .neutral, flags: [
            FlagHit(flag: .spam, decision: .review, score: 0.4, evidence: []),
        ], template: nil)
        try inbox.store([ClassifiedMessage(IncomingMessage(
            platform: .x, kind: .comment, externalID: "m7", text: "buy followers now",
            receivedAt: Date(timeIntervalSince1970: 1_764_000_000 + 7 * 60), event: .edited), classification: spam)])
        let m7 = try XCTUnwrap(flagged.first { $0.snippet == "hello 7" }).id
        XCTAssertEqual(try store.page(queue: .all, query: q, moderator: "ana", anchor: .start, limit: 50).map(\.id), [m7])
        q.flags = FieldFilter(include: [.emergency])
        XCTAssertEqual(try store.page(queue: .all, query: q, moderator: "ana", anchor: .start, limit: 50).count, 4)
        q.flags = FieldFilter(include: [.emergency, .spam])
        XCTAssertEqual(try store.page(queue: .all, query: q, moderator: "ana", anchor: .start, limit: 50).count, 5, "either flag")
        q.flags = FieldFilter(exclude: [.emergency, .spam])
        XCTAssertEqual(try store.page(queue: .all, query: q, moderator: "ana", anchor: .start, limit: 50).count, 25, "neither flag")
    }

    func testFlagFilterInALaneGivesTheSamePagesThroughEitherIndex() throws {
        // 40 emergencies in Urgent: every third is also spam, and every fourth is only a review.
        try seed(40) { i in
            var c = self.emergency("urgent")
            if i % 4 == 0 { c.flags[0].decision = .review }
            if i % 3 == 0 { c.flags.append(FlagHit(flag: .spam, decision: .review, score: 0.3, evidence: [])) }
            return c
        }
        let priorities = Dictionary(uniqueKeysWithValues: try rows("SELECT id, priority FROM message").map { ($0["id"] as Int64, $0["priority"] as Int) })
        // By hand: spam is m0, m3, ... m39; the queue shows priority first, then newest first.
        let ids = Dictionary(uniqueKeysWithValues: try rows("SELECT id, external_id FROM message").map { ($0["external_id"] as String, $0["id"] as Int64) })
        let spam = stride(from: 39, through: 0, by: -1).filter { $0 % 3 == 0 }.map { ids["m\($0)"]! }
        let expected = spam.sorted { (priorities[$0]!, -$0) < (priorities[$1]!, -$1) }
        XCTAssertEqual(Set(priorities.values).count, 2, "two priorities, so the order is tested across them")

        var q = InboxQuery()
        q.flags = FieldFilter(include: [.spam])
        for few in [1, 2000] {  // 1: walk the lane in order; 2000: the flagged index, then sort
            let store = SQLiteConsoleStore(inbox: inbox, role: "moderator")
            store.fewFlagged = few
            let first = try store.page(queue: .urgent, query: q, moderator: "ana", anchor: .start, limit: 5)
            let rest = try store.page(queue: .urgent, query: q, moderator: "ana", anchor: .after(XCTUnwrap(first.last).cursor), limit: 50)
            XCTAssertEqual((first + rest).map(\.id), expected, "fewFlagged \(few)")
            XCTAssertEqual(try store.page(queue: .urgent, query: q, moderator: "ana", anchor: .end, limit: 50).map(\.id), expected)
        }
    }

    func testPagesStopAtTheirTimeLimitWithWhatTheyFound() throws {
        try seed(300) { $0 % 2 == 0 ? self.emergency($0 % 4 == 0 ? "imminent" : "urgent") : nil }  // two priorities in Urgent
        let store = SQLiteConsoleStore(inbox: inbox, role: "moderator")
        var q = InboxQuery()
        q.platforms = FieldFilter(include: [.x])
        var search = InboxQuery()
        search.terms = [TextTerm(text: "hello")]
        var flagged = InboxQuery()
        flagged.flags = FieldFilter(include: [.emergency])
        for (queue, query) in [(QueueID.all, q), (.all, search), (.urgent, flagged)] {
            let all = try store.page(queue: queue, query: query, moderator: "ana", anchor: .start, limit: 500)
            XCTAssertFalse(store.lastPageCutOff)
            XCTAssertGreaterThan(all.count, 100)
            store.pageTimeLimit = 0  // stops at the first progress check
            let cut = try store.page(queue: queue, query: query, moderator: "ana", anchor: .start, limit: 500)
            XCTAssertTrue(store.lastPageCutOff)
            XCTAssertLessThan(cut.count, all.count)
            XCTAssertEqual(cut.map(\.id), Array(all.prefix(cut.count)).map(\.id), "what was found, in order")
            store.pageTimeLimit = 0.25
        }
        // The connection is left without the deadline: later reads are not interrupted.
        XCTAssertEqual(try store.page(queue: .all, query: q, moderator: "ana", anchor: .start, limit: 500).count, 150)
        XCTAssertFalse(store.lastPageCutOff)
    }

    func rows(_ sql: String) throws -> [Row] { try inbox.pool.read { try Row.fetchAll($0, sql: sql) } }

    func testClaimIsExclusiveAndActionsOnOthersClaimsAreRefused() throws {
        try seed(3)
        let ana = SQLiteConsoleStore(inbox: inbox, role: "moderator")
        let bo = SQLiteConsoleStore(inbox: inbox, role: "moderator")
        let id = try ana.page(queue: .all, query: .all, moderator: "ana", anchor: .start, limit: 1)[0].id
        XCTAssertNoThrow(try ana.perform(.claim(message: id), moderator: "ana").get())
        XCTAssertEqual(try? bo.perform(.claim(message: id), moderator: "bo").get(), nil)
        if case .failure(let r) = bo.perform(.hide(message: id, reasonCode: "spam"), moderator: "bo") {
            XCTAssertTrue(r.message.contains("Claimed by ana"), r.message)
        } else { XCTFail("bo must not hide ana's claimed message") }
        XCTAssertEqual(try ana.queueCounts(moderator: "ana")[.mine], 1)
        // An expired claim returns the message to everyone.
        ana.claimLease = -1
        let other = try ana.page(queue: .all, query: .all, moderator: "ana", anchor: .start, limit: 3)[1].id
        XCTAssertNoThrow(try ana.perform(.claim(message: other), moderator: "ana").get())
        XCTAssertNoThrow(try bo.perform(.claim(message: other), moderator: "bo").get())
    }

    /// The queue counts are maintained per batch and by triggers: after batches with repeats,
    /// edits, removals and reclassification, and after moderator actions, they equal a real count.
    func testQueueCountsAlwaysEqualACountOfTheInbox() throws {
        func assertCountsTrue(_ when: String) throws {
            let kept = try inbox.pool.read { db in
                try Row.fetchAll(db, sql: "SELECT lane, state, n FROM queue_count WHERE n != 0 ORDER BY lane, state").map { "\($0["lane"] as String)/\($0["state"] as String)=\($0["n"] as Int)" }
            }
            let real = try inbox.pool.read { db in
                try Row.fetchAll(db, sql: "SELECT lane, state, count(*) AS n FROM message GROUP BY lane, state ORDER BY lane, state").map { "\($0["lane"] as String)/\($0["state"] as String)=\($0["n"] as Int)" }
            }
            XCTAssertEqual(kept, real, when)
        }
        try seed(30, classification: { $0 % 7 == 0 ? self.emergency("imminent") : nil })
        try assertCountsTrue("after the first batch")
        // A batch mixing repeats, an edit, a removal and new messages, with a classification change.
        var batch: [ClassifiedMessage] = []
        for i in [0, 1, 2, 40, 41] {
            var m = IncomingMessage(platform: i % 2 == 0 ? .facebook : .x, kind: .comment, externalID: "m\(i)", authorID: "a", authorHandle: "u",
                                    text: i == 2 ? "edited text" : (i >= 40 ? "new \(i)" : (i % 5 == 0 ? "flu shot question \(i)" : "hello \(i)")),
                                    receivedAt: Date(timeIntervalSince1970: 1_764_100_000 + Double(i)))
            if i == 1 { m.event = .removed }
            batch.append(ClassifiedMessage(m, classification: i == 2 || i == 41 ? emergency("urgent") : nil))
        }
        // The same new message twice in one batch, the second time edited into an emergency.
        let late = IncomingMessage(platform: .x, kind: .comment, externalID: "m50", authorID: "a", authorHandle: "u", text: "first words",
                                   receivedAt: Date(timeIntervalSince1970: 1_764_200_000))
        var edited = late
        edited.text = "second words"
        batch.append(ClassifiedMessage(late))
        batch.append(ClassifiedMessage(edited, classification: emergency("imminent")))
        try inbox.store(batch)
        try assertCountsTrue("after repeats, edits (one within the batch) and a removal")
        let store = SQLiteConsoleStore(inbox: inbox, role: "moderator")
        for row in try store.page(queue: .all, query: .all, moderator: "ana", anchor: .start, limit: 6) {
            _ = store.perform(.markDone(message: row.id), moderator: "ana")
        }
        try assertCountsTrue("after moderator actions")
    }

    func testReplyUndoAndOneReplyPerMessage() throws {
        try seed(2)
        let store = SQLiteConsoleStore(inbox: inbox, role: "moderator")
        let id = try store.page(queue: .new, query: .all, moderator: "ana", anchor: .start, limit: 1)[0].id
        let receipt = try store.perform(.queueReply(message: id, text: "Please call us", templateID: "t1", visibility: .public, override: nil), moderator: "ana").get()
        XCTAssertEqual(try inbox.outbox(state: "pending").map(\.text), ["Please call us"])
        XCTAssertEqual(try store.queueCounts(moderator: "ana")[.done], 1)
        // A second reply to the same message, by anyone, is refused.
        XCTAssertThrowsError(try store.perform(.queueReply(message: id, text: "again", templateID: nil, visibility: .public, override: nil), moderator: "bo").get())
        // Undo cancels it before it leaves and puts the message back.
        XCTAssertNoThrow(try store.perform(.undo(action: try XCTUnwrap(receipt.undoableAction)), moderator: "ana").get())
        XCTAssertEqual(try inbox.outbox(state: "cancelled").count, 1)
        XCTAssertEqual(try store.queueCounts(moderator: "ana")[.new], 2)
        // Now a reply can be queued again, and released.
        let again = try store.perform(.queueReply(message: id, text: "Call us", templateID: nil, visibility: .private, override: nil), moderator: "ana").get()
        XCTAssertNoThrow(try store.perform(.releaseReply(outbox: try XCTUnwrap(again.outboxID)), moderator: "ana").get())
        XCTAssertEqual(try inbox.outbox(state: "ready").map(\.text), ["Call us"])
        XCTAssertThrowsError(try store.perform(.cancelReply(outbox: again.outboxID!), moderator: "ana").get(), "too late once released")
        // Only a lead overrides the guard.
        let other = try store.page(queue: .new, query: .all, moderator: "ana", anchor: .start, limit: 1)[0].id
        XCTAssertThrowsError(try store.perform(.queueReply(message: other, text: "x", templateID: nil, visibility: .public, override: "ok"), moderator: "ana").get())
    }

    func testRolesAreEnforcedInTheStoreToo() throws {
        try seed(1)
        let trainee = SQLiteConsoleStore(inbox: inbox, role: "trainee")
        let id = try trainee.page(queue: .all, query: .all, moderator: "dave", anchor: .start, limit: 1)[0].id
        for c: ModeratorCommand in [.hide(message: id, reasonCode: "spam"), .markDone(message: id), .claim(message: id),
                                    .queueReply(message: id, text: "hi", templateID: nil, visibility: .public, override: nil)] {
            XCTAssertThrowsError(try trainee.perform(c, moderator: "dave").get(), "\(c)")
        }
        XCTAssertNoThrow(try trainee.perform(.note(message: id, text: "looks like spam"), moderator: "dave").get())
        let mod = SQLiteConsoleStore(inbox: inbox, role: "moderator")
        XCTAssertThrowsError(try mod.perform(.delete(message: id, reasonCode: "spam"), moderator: "bo").get(), "only leads delete")
        XCTAssertEqual(try trainee.detail(id: id)?.notes, ["dave: looks like spam"])
    }

    func testEveryStateChangeHasAnAuditRowAndTheChainHolds() throws {
        try seed(4)
        let store = SQLiteConsoleStore(inbox: inbox, role: "lead")
        let ids = try store.page(queue: .all, query: .all, moderator: "al", anchor: .start, limit: 4).map(\.id)
        let hide = try store.perform(.hide(message: ids[0], reasonCode: "profanity"), moderator: "al").get()
        _ = try store.perform(.undo(action: hide.undoableAction!), moderator: "al").get()
        _ = try store.perform(.markDone(message: ids[1]), moderator: "al").get()
        _ = try store.perform(.snooze(message: ids[2], until: Date().addingTimeInterval(3600)), moderator: "al").get()
        _ = try store.perform(.delete(message: ids[3], reasonCode: "spam"), moderator: "al").get()
        let events = try inbox.auditEvents()
        // Undoing the hide also takes back its platform action before it left (issue 19).
        XCTAssertEqual(events.map(\.action), ["hide", "delivery_cancelled", "undo", "done", "snooze", "delete"])
        XCTAssertEqual(events.map(\.stateAfter), ["hidden", nil, "open", "done", "snoozed", "deleted"])
        XCTAssertEqual(events[1].undoes, events[0].id)
        XCTAssertEqual(events[0].reasonCode, "profanity")
        XCTAssertTrue(events.allSatisfy { $0.moderator == "al" && $0.role == "lead" })
        XCTAssertEqual(try inbox.verifyAuditChain(), .intact(events: 6))
        // The triggers refuse edits through SQL.
        XCTAssertThrowsError(try inbox.pool.write { try $0.execute(sql: "UPDATE action SET moderator = 'x' WHERE id = 1") })
        XCTAssertThrowsError(try inbox.pool.write { try $0.execute(sql: "DELETE FROM action WHERE id = 2") })
    }

    func testOpeningAPHIMessageIsAuditedOncePerSession() throws {
        try seed(2) { $0 == 1 ? Classification(language: "en", sentiment: .neutral, flags: [
            FlagHit(flag: .phiExposure, decision: .act, score: 0.9, evidence: [Evidence(rule: "phi.mrn", file: "f", span: [0, 3], text: "MRN", contribution: 0.9)]),
        ], template: nil) : nil }
        let store = SQLiteConsoleStore(inbox: inbox, role: "moderator", reader: "bo")
        let rows = try store.page(queue: .all, query: .all, moderator: "bo", anchor: .start, limit: 2)
        for r in rows + rows { _ = try store.detail(id: r.id) }
        let events = try inbox.auditEvents()
        XCTAssertEqual(events.map(\.action), ["open_phi"])
        XCTAssertEqual(events.first?.moderator, "bo")
        XCTAssertEqual(events.first?.ruleIDs, "phi.mrn")
    }

    func testAuthorHistoryCountsOnlyThatAuthorOnThatPlatform() throws {
        // Three batches (three index segments); the same author id on another platform is
        // someone else, and an id with spaces and quotes is one key, not a query.
        func m(_ id: String, _ platform: Platform, _ author: String, minute: Double) -> ClassifiedMessage {
            ClassifiedMessage(IncomingMessage(platform: platform, kind: .comment, externalID: id, authorID: author,
                                              authorHandle: author, text: "hello \(id)",
                                              receivedAt: Date(timeIntervalSince1970: 1_764_000_000 + minute * 60)))
        }
        let odd = "o'brien \"AND\" x*"
        try inbox.store([m("a1", .x, "u1", minute: 1), m("b1", .facebook, "u1", minute: 2), m("o1", .x, odd, minute: 3)])
        try inbox.store([m("a2", .x, "u1", minute: 4), m("a3", .x, "u10", minute: 5), m("o2", .x, odd, minute: 6)])
        try inbox.store([m("a4", .x, "u1", minute: 7)])
        let store = SQLiteConsoleStore(inbox: inbox, role: "moderator")
        func detail(_ external: String) throws -> MessageDetail {
            let id = try XCTUnwrap(inbox.pool.read { try Int64.fetchOne($0, sql: "SELECT id FROM message WHERE external_id = ?", arguments: [external]) })
            return try XCTUnwrap(store.detail(id: id))
        }
        XCTAssertEqual(try detail("a1").authorEarlierCount, 0)
        XCTAssertEqual(try detail("a2").authorEarlierCount, 1)
        XCTAssertEqual(try detail("a4").authorEarlierCount, 2, "u1 on X only: not u1 on Facebook, not u10")
        XCTAssertEqual(try detail("a1").lastAuthorMessageAt, Date(timeIntervalSince1970: 1_764_000_000 + 7 * 60))
        XCTAssertEqual(try detail("b1").authorEarlierCount, 0)
        XCTAssertEqual(try detail("b1").lastAuthorMessageAt, Date(timeIntervalSince1970: 1_764_000_000 + 2 * 60))
        XCTAssertEqual(try detail("o2").authorEarlierCount, 1)
    }
}

/// Search pages stream from the full-text index newest first, and combine with filters.
final class SearchPagingTests: XCTestCase {
    func testSearchPagesWalkAllMatchesNewestFirstAndHonourFilters() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rounds-search-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let inbox = try InboxDatabase(path: dir.appendingPathComponent("s.sqlite").path)
        var batch: [ClassifiedMessage] = []
        for i in 0..<120 {
            let platform: Platform = i % 3 == 0 ? .x : .facebook
            let handle = i % 4 == 0 ? "maria_z" : "bo"
            let text = i % 2 == 0 ? "flu shot \(i)" : "parking \(i)"
            batch.append(ClassifiedMessage(IncomingMessage(platform: platform, kind: .comment, externalID: "m\(i)", authorHandle: handle,
                                                           text: text, receivedAt: Date(timeIntervalSince1970: 1_764_000_000 + Double(i)))))
        }
        try inbox.store(batch)
        let store = SQLiteConsoleStore(inbox: inbox, role: "moderator")
        var q = InboxQuery()
        q.terms = [TextTerm(text: "flu")]
        var seen: [Int64] = []
        var page = try store.page(queue: .all, query: q, moderator: "a", anchor: .start, limit: 7)
        while !page.isEmpty {
            seen += page.map(\.id)
            page = try store.page(queue: .all, query: q, moderator: "a", anchor: .after(page.last!.cursor), limit: 7)
        }
        XCTAssertEqual(seen.count, 60)
        XCTAssertEqual(seen, seen.sorted(by: >))
        let back = try store.page(queue: .all, query: q, moderator: "a", anchor: .before(try XCTUnwrap(
            try store.page(queue: .all, query: q, moderator: "a", anchor: .start, limit: 10).last).cursor), limit: 3)
        XCTAssertEqual(back.map(\.id), Array(seen[6..<9]), "the three rows just above, in list order")

        q.platforms = FieldFilter(include: [.x])
        q.authors = FieldFilter(include: ["MARIA_Z"])
        let narrowed = try store.page(queue: .all, query: q, moderator: "a", anchor: .start, limit: 100)
        // flu: even i; x: i % 3 == 0; maria_z: i % 4 == 0  ->  i % 12 == 0.
        XCTAssertEqual(narrowed.count, 10)
        XCTAssertTrue(narrowed.allSatisfy { $0.snippet.hasPrefix("flu shot") && $0.platform == .x && $0.authorHandle == "maria_z" })
        // from: alone also goes through the index, exactly.
        var from = InboxQuery()
        from.authors = FieldFilter(include: ["maria_z"])
        XCTAssertEqual(try store.page(queue: .all, query: from, moderator: "a", anchor: .start, limit: 100).count, 30)
        let ids = try store.page(queue: .all, query: .all, moderator: "a", anchor: .start, limit: 10).map(\.id)
        XCTAssertEqual(Set(try store.filter(ids: ids, queue: .all, query: q, moderator: "a")),
                       Set(narrowed.map(\.id)).intersection(ids), "tagged rows outside the search are never acted on")
    }
}
