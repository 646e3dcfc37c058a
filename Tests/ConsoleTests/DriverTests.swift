import Foundation
import InboxModel
import XCTest
@testable import Console

/// The core run end to end against the in-memory store and policy (no terminal).
final class DriverTests: XCTestCase {
    func bigStore(_ n: Int) -> InMemoryConsoleStore {
        var details: [MessageDetail] = []
        for i in 1...n {
            let text: String = "message \(i)" + (i % 10 == 0 ? " parking" : "")
            let row = Fixtures.row(Int64(i), .facebook, .comment, lane: .new, author: "user\(i)", ago: Double(i * 60), text: text)
            details.append(MessageDetail(row: row, text: text))
        }
        return InMemoryConsoleStore(details)
    }

    func testScrollingALargeQueueUsesKeysetPagesAndBoundedMemory() {
        let store = bigStore(2000)
        let (d, _) = Fixtures.driver(queue: .new, store: store)
        XCTAssertEqual(d.state.list.rows.count, 50)
        for _ in 0..<700 { d.send(.keyPressed(.char("j"))) }
        XCTAssertEqual(d.state.selectedRow?.authorHandle, "user701")
        XCTAssertLessThanOrEqual(d.state.list.rows.count, Reducer.windowLimit + Reducer.pageLimit)
        XCTAssertLessThanOrEqual(store.largestPage, 50)
        d.send(.keyPressed(.char("G")))
        XCTAssertEqual(d.state.selectedRow?.authorHandle, "user2000")
        XCTAssertEqual(d.state.list.rows.count, 50)
        for _ in 0..<120 { d.send(.keyPressed(.char("k"))) }
        XCTAssertEqual(d.state.selectedRow?.authorHandle, "user1880")
        d.send(.keyPressed(.char("g")))
        XCTAssertEqual(d.state.selectedRow?.authorHandle, "user1")
        XCTAssertLessThanOrEqual(store.largestPage, 50)
    }

    func testAPageCutOffByTheStoreShowsWhatWasFoundAndAsksToRefine() {
        let store = bigStore(200)
        store.cutOffAfter = 7
        let (d, _) = Fixtures.driver(queue: .new, store: store)
        XCTAssertEqual(d.state.list.rows.count, 7)
        XCTAssertTrue(d.state.list.atEnd, "no endless retry by scrolling")
        XCTAssertEqual(d.state.flash?.text, "Stopped looking after a quarter of a second with 7 shown: refine the filter or search to find the rest")
        XCTAssertEqual(d.state.flash?.isError, true)
        store.cutOffAfter = nil
        d.send(.keyPressed(.char(":")))
        for c in "filter user1" { d.send(.keyPressed(.char(c))) }
        d.send(.keyPressed(.enter))
        XCTAssertFalse(d.state.flash?.text.hasPrefix("Stopped") ?? false, "a page that is not cut off says nothing of it")
    }

    func testTheFirstScreenDoesNotWaitForPoliciesAndGetsTheirTemplatesAfter() {
        let policy = FixedPolicy()
        policy.isLoaded = false
        let state = ConsoleState(moderator: "alice", role: .moderator, width: 100, height: 30, now: Fixtures.now)
        let d = ConsoleDriver(state: state, store: InMemoryConsoleStore(Fixtures.details()), policy: policy)
        d.send(.started(now: Fixtures.now))
        let id = try? XCTUnwrap(d.state.selectedID)
        XCTAssertNotNil(id)
        XCTAssertNotNil(d.state.selectedContext, "the detail is on the first screen")
        XCTAssertEqual(d.state.selectedContext?.templates, [], "without templates while the policies load")
        policy.isLoaded = true
        d.policiesLoaded()
        XCTAssertEqual(d.state.selectedID, id)
        XCTAssertFalse(d.state.selectedContext?.templates.isEmpty ?? true, "templates once they are loaded")
        XCTAssertEqual(d.state.selectedContext?.templates, policy.templates(for: d.state.selectedContext!.detail))
    }

    func testNewMessagesKeepSelectionFilterAndScroll() {
        let store = bigStore(100)
        let (d, _) = Fixtures.driver(queue: .new, store: store)
        for _ in 0..<20 { d.send(.keyPressed(.char("j"))) }
        let id = d.state.selectedID
        let screenRow = Renderer.render(d.state).cursor?.row
        // Another process ingests three newer messages.
        for i in 1...3 {
            store.add(MessageDetail(row: Fixtures.row(Int64(5000 + i), .x, .mention, lane: .new, author: "late\(i)", ago: 0, text: "new"), text: "new"))
        }
        d.send(.clockTicked(Fixtures.now.addingTimeInterval(5)))
        XCTAssertEqual(d.state.selectedID, id)
        XCTAssertEqual(Renderer.render(d.state).cursor?.row, screenRow)
        XCTAssertEqual(d.state.counts[.new], 103)
        XCTAssertEqual(d.state.list.rows.first?.authorHandle, "late3", "the new rows are above the selection")
    }

    func testAMessageDoneElsewhereMovesSelectionToTheNext() {
        let store = bigStore(10)
        let (d, _) = Fixtures.driver(queue: .new, store: store)
        d.send(.keyPressed(.char("j")))
        XCTAssertEqual(d.state.selectedID, 2)
        _ = store.perform(.markDone(message: 2), moderator: "bob")
        d.send(.clockTicked(Fixtures.now.addingTimeInterval(5)))
        XCTAssertEqual(d.state.selectedID, 3)
        XCTAssertEqual(d.state.selectedContext?.detail.row.id, 3)
    }

    func testHideThenUndo() {
        let (d, store) = Fixtures.driver(queue: .offensive)
        XCTAssertEqual(d.state.selectedID, 6)
        d.send(.keyPressed(.char("h")))
        d.send(.keyPressed(.enter))
        XCTAssertEqual(store.performed.last, .hide(message: 6, reasonCode: "profanity"))
        XCTAssertEqual(try store.detail(id: 6)?.row.state, .hidden)
        XCTAssertTrue(d.state.list.rows.isEmpty, "hidden messages leave the lane")
        XCTAssertEqual(d.state.counts[.offensive], 0)
        d.send(.keyPressed(.char("u")))
        XCTAssertEqual(try store.detail(id: 6)?.row.state, .open)
        XCTAssertEqual(d.state.counts[.offensive], 1)
        XCTAssertEqual(d.state.selectedID, 6)
    }

    func testApplyToTaggedNeverTouchesMessagesHiddenByTheFilter() {
        let store = bigStore(30)
        let (d, _) = Fixtures.driver(queue: .new, store: store)
        d.send(.keyPressed(.char("t")))  // 1
        d.send(.keyPressed(.char("t")))  // 2
        XCTAssertEqual(d.state.tagged, [1, 2])
        // T: tag all matching "parking" (10, 20, 30).
        d.send(.keyPressed(.char("T")))
        for c in "parking" { d.send(.keyPressed(.char(c))) }
        d.send(.keyPressed(.enter))
        XCTAssertEqual(d.state.tagged, [1, 2, 10, 20, 30])
        // Filter to "parking": 1 and 2 are tagged but hidden by the filter.
        d.send(.keyPressed(.char("/")))
        for c in "parking -\"message 30\"" { d.send(.keyPressed(.char(c))) }
        d.send(.keyPressed(.enter))
        XCTAssertEqual(d.state.list.rows.map(\.id), [10, 20])
        d.send(.keyPressed(.char(";")))
        XCTAssertEqual(d.state.bulkTargets, [10, 20])
        d.send(.keyPressed(.char("x")))
        d.send(.keyPressed(.char("y")))
        let done = store.items.filter { $0.detail.row.state == .done }.map(\.detail.row.id).sorted()
        XCTAssertEqual(done, [10, 20])
        XCTAssertEqual(d.state.flash?.text, "Done for 2 tagged messages")
    }

    func testGuardBlockedReplyIsNotQueued() {
        let (d, store) = Fixtures.driver(queue: .symptoms)
        (d.policy as! FixedPolicy).blockedWords = ["thank you"]
        d.send(.keyPressed(.char("1")))
        XCTAssertTrue(store.outbox.isEmpty)
        guard case .guardBlocked(_, let v) = d.state.overlay else { return XCTFail("not blocked") }
        XCTAssertEqual(v.first?.message, "confirms the author is a patient: 'thank you'")
        d.send(.keyPressed(.escape))
        XCTAssertNil(d.state.overlay)
    }

    func testQuitReleasingPendingReplies() {
        let (d, store) = Fixtures.driver(queue: .urgent)
        d.send(.keyPressed(.char("1")))
        XCTAssertEqual(Array(store.outbox.values.map(\.state)), ["pending"])
        d.send(.keyPressed(.char("q")))
        XCTAssertFalse(d.quitRequested)
        d.send(.keyPressed(.enter))  // "Send now (release) and quit"
        XCTAssertTrue(d.quitRequested)
        XCTAssertEqual(Array(store.outbox.values.map(\.state)), ["ready"])
    }

    func testExportGoesThroughTheHookForLeads() {
        let (d, _) = Fixtures.driver(role: .lead)
        var asked: (QueueID, InboxQuery, String?)?
        d.exporter = { q, query, folder in asked = (q, query, folder); return .success("/tmp/x.csv") }
        d.send(.keyPressed(.char(":")))
        for c in "export" { d.send(.keyPressed(.char(c))) }
        d.send(.keyPressed(.enter))
        XCTAssertEqual(asked?.0, .urgent)
        XCTAssertNil(asked?.2, "no folder named: the one named before")
        XCTAssertEqual(d.state.flash?.text, "Exported to /tmp/x.csv")
        d.send(.keyPressed(.char(":")))
        for c in "export /srv/exports" { d.send(.keyPressed(.char(c))) }
        d.send(.keyPressed(.enter))
        XCTAssertEqual(asked?.2, "/srv/exports")
    }
}
