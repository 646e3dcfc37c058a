import Foundation
import InboxModel
import XCTest
@testable import Console

final class ReducerTests: XCTestCase {
    let now = Fixtures.now
    lazy var details = Fixtures.details()
    lazy var rows = details.map(\.row)

    /// A state showing `rows` in the All queue, first row selected, its detail loaded.
    func loaded(role: Role = .moderator, rows: [MessageRow]? = nil, selected: Int = 0) -> ConsoleState {
        var s = ConsoleState(moderator: "alice", role: role, width: 80, height: 24, now: now)
        s.queue = .all
        s.list = ListWindow(rows: rows ?? self.rows, atStart: true, atEnd: true, selected: selected, scrollTop: 0)
        s.listLoaded = true
        let d = details.first { $0.row.id == s.list.rows[selected].id } ?? details[0]
        let p = FixedPolicy()
        let r = p.removalReasons(for: d)
        s.context = DetailContext(detail: d, templates: p.templates(for: d), reasons: r.reasons,
                                  preselectedReason: r.preselected, escalationContact: p.escalationContact(for: d))
        return s
    }

    func press(_ s: inout ConsoleState, _ keys: KeyEvent...) -> [Effect] {
        var out: [Effect] = []
        for k in keys { out = Reducer.reduce(into: &s, .keyPressed(k)) }
        return out
    }

    func testStartLoadsCountsFirstPageAndPolls() {
        var s = ConsoleState(moderator: "alice", role: .moderator)
        let e = Reducer.reduce(into: &s, .started(now: now))
        XCTAssertEqual(e, [.loadCounts,
                           .loadPage(PageRequest(queue: .urgent, query: InboxQuery(), anchor: .start, limit: 50, purpose: .replace(selectLast: false))),
                           .pollDataVersion])
    }

    func testMovingSelectsAndLoadsDetail() {
        var s = loaded()
        let e = press(&s, .char("j"))
        XCTAssertEqual(s.list.selected, 1)
        XCTAssertEqual(e, [.loadDetail(id: 2)])
        XCTAssertEqual(press(&s, .up), [.loadDetail(id: 1)])
        XCTAssertEqual(press(&s, .up), [])  // already at the top
        XCTAssertEqual(s.list.selected, 0)
        _ = press(&s, .char("G"))
        XCTAssertEqual(s.list.selected, rows.count - 1)
        _ = press(&s, .char("g"))
        XCTAssertEqual(s.list.selected, 0)
    }

    func testMovingNearTheEndOfAPartialWindowRequestsTheNextPage() {
        var s = loaded()
        s.list.atEnd = false
        let e = press(&s, .char("j"))
        XCTAssertTrue(e.contains(.loadPage(PageRequest(queue: .all, query: InboxQuery(), anchor: .after(rows.last!.cursor), limit: 50, purpose: .append))))
    }

    func testSelectionStaysOnTheSameMessageWhenNewRowsArrive() {
        var s = loaded(selected: 2)  // message 3; all 7 rows fit on screen
        let newer = Fixtures.row(99, .facebook, .comment, lane: .new, author: "new", ago: 1, text: "new one")
        let req = WindowRequest(queue: .all, query: InboxQuery(), around: rows[2].cursor, keepID: 3, limit: 50)
        _ = Reducer.reduce(into: &s, .windowReloaded(req, before: [rows[0], newer, rows[1]], from: Array(rows[2...])))
        XCTAssertEqual(s.selectedID, 3)
        XCTAssertEqual(s.list.selected, 3)
    }

    func testScrolledSelectionKeepsItsPlaceOnScreenWhenRowsArriveAbove() {
        let many = (1...40).map { Fixtures.row(Int64($0), .facebook, .comment, lane: .new, author: "u\($0)", ago: Double($0 * 60), text: "m\($0)") }
        var s = loaded(rows: many, selected: 20)
        s.list.scrollTop = 17  // selected row is the 4th on screen (list height 8 at 80x24)
        let newer = Fixtures.row(99, .facebook, .comment, lane: .new, author: "new", ago: 1, text: "new one")
        let req = WindowRequest(queue: .all, query: InboxQuery(), around: many[20].cursor, keepID: 21, limit: 50)
        _ = Reducer.reduce(into: &s, .windowReloaded(req, before: [newer] + Array(many[0..<20]), from: Array(many[20...])))
        XCTAssertEqual(s.selectedID, 21)
        XCTAssertEqual(s.list.selected, 21)
        XCTAssertEqual(s.list.scrollTop, 18)
        XCTAssertEqual(Renderer.render(s).cursor?.row, 1 + 3, "the cursor stays on the same screen row")
    }

    func testWhenTheSelectedMessageLeavesTheQueueTheNextOneIsSelected() {
        var s = loaded(selected: 2)
        let req = WindowRequest(queue: .all, query: InboxQuery(), around: rows[2].cursor, keepID: 3, limit: 50)
        let e = Reducer.reduce(into: &s, .windowReloaded(req, before: Array(rows[0..<2]), from: Array(rows[3...])))
        XCTAssertEqual(s.selectedID, 4)
        XCTAssertEqual(e, [.loadDetail(id: 4)])
    }

    func testStaleResultsForAnotherQueueAreIgnored() {
        var s = loaded()
        let req = PageRequest(queue: .urgent, query: InboxQuery(), anchor: .start, limit: 50, purpose: .replace(selectLast: false))
        _ = Reducer.reduce(into: &s, .pageLoaded(req, []))
        XCTAssertEqual(s.list.rows.count, rows.count)
    }

    func testTabCyclesQueuesInBarOrder() {
        var s = ConsoleState(moderator: "alice", role: .moderator)
        XCTAssertEqual(s.queue, .urgent)
        _ = press(&s, .tab)
        XCTAssertEqual(s.queue, .phi)
        _ = press(&s, .backTab, .backTab)
        XCTAssertEqual(s.queue, .all)
        let e = press(&s, .tab)
        XCTAssertEqual(s.queue, .urgent)
        XCTAssertEqual(e.first, .loadCounts)
    }

    func testTemplateReplyIsGuardedThenQueuedWithACountdownThenReleased() {
        var s = loaded()  // message 1, urgent: template 1 is crisis_988
        let draft = ReplyDraft(messageID: 1, text: "Please call or text 988 now.", templateID: "crisis_988", visibility: .private, override: nil)
        XCTAssertEqual(press(&s, .char("1")), [.checkReply(draft)])
        let queue = ModeratorCommand.queueReply(message: 1, text: draft.text, templateID: "crisis_988", visibility: .private, override: nil)
        XCTAssertEqual(Reducer.reduce(into: &s, .replyChecked(draft, violations: [])), [.perform(queue)])
        _ = Reducer.reduce(into: &s, .commandFinished(queue, .success(CommandReceipt(summary: "Reply queued", outboxID: 42))))
        XCTAssertEqual(s.pendingReplies, [PendingReply(outboxID: 42, messageID: 1, deadline: now.addingTimeInterval(10))])
        var e = Reducer.reduce(into: &s, .clockTicked(now.addingTimeInterval(9.5)))
        XCTAssertFalse(e.contains(.perform(.releaseReply(outbox: 42))))
        XCTAssertEqual(s.pendingReplies.count, 1)
        e = Reducer.reduce(into: &s, .clockTicked(now.addingTimeInterval(10)))
        XCTAssertTrue(e.contains(.perform(.releaseReply(outbox: 42))))
        XCTAssertTrue(s.pendingReplies.isEmpty)
    }

    func testUndoCancelsAPendingReplyBeforeItLeaves() {
        var s = loaded()
        s.pendingReplies = [PendingReply(outboxID: 7, messageID: 1, deadline: now.addingTimeInterval(5))]
        s.undoStack = [.action(555), .reply(outbox: 7)]
        XCTAssertEqual(press(&s, .char("u")), [.perform(.cancelReply(outbox: 7))])
        XCTAssertTrue(s.pendingReplies.isEmpty)
        // The tick after that releases nothing.
        XCTAssertFalse(Reducer.reduce(into: &s, .clockTicked(now.addingTimeInterval(6))).contains { if case .perform = $0 { true } else { false } })
        XCTAssertEqual(press(&s, .char("u")), [.perform(.undo(action: 555))])
        XCTAssertEqual(press(&s, .char("u")), [])
        XCTAssertEqual(s.flash?.text, "Nothing to undo")
    }

    func testUndoTakesBackTheMostRecentThingFirst() {
        var s = loaded()
        let queue = ModeratorCommand.queueReply(message: 1, text: "x", templateID: nil, visibility: .private, override: nil)
        _ = Reducer.reduce(into: &s, .commandFinished(queue, .success(CommandReceipt(summary: "", outboxID: 9))))
        _ = Reducer.reduce(into: &s, .commandFinished(.hide(message: 2, reasonCode: "spam"), .success(CommandReceipt(summary: "Hidden", undoableAction: 77))))
        XCTAssertEqual(press(&s, .char("u")), [.perform(.undo(action: 77))], "the hide came last")
        XCTAssertEqual(press(&s, .char("u")), [.perform(.cancelReply(outbox: 9))])
        // A reply released after its window is skipped.
        _ = Reducer.reduce(into: &s, .commandFinished(queue, .success(CommandReceipt(summary: "", outboxID: 10))))
        _ = Reducer.reduce(into: &s, .clockTicked(now.addingTimeInterval(11)))
        XCTAssertEqual(press(&s, .char("u")), [])
        XCTAssertEqual(s.flash?.text, "Nothing to undo")
    }

    func testTemplateNumberBeyondTheListIsRefused() {
        var s = loaded()
        XCTAssertEqual(press(&s, .char("3")), [])
        XCTAssertEqual(s.flash?.text, "There are only 2 templates")
    }

    func testGuardViolationsAreShownAndOnlyALeadMayOverride() {
        var s = loaded(selected: 1)  // symptoms message 2
        let draft = ReplyDraft(messageID: 2, text: "About your visit", templateID: nil, visibility: .public, override: nil)
        let v = [GuardViolation(code: "confirms_relationship", message: "confirms the author is a patient: 'your visit'")]
        XCTAssertEqual(Reducer.reduce(into: &s, .replyChecked(draft, violations: v)), [])
        XCTAssertEqual(s.overlay, .guardBlocked(draft, violations: v))
        XCTAssertTrue(Renderer.render(s).lines.joined().contains("confirms the author is a patient: 'your visit'"))
        XCTAssertEqual(press(&s, .char("o")), [])
        XCTAssertEqual(s.flash?.text, "Your role (moderator) cannot override the reply guard (leads only)")
        XCTAssertEqual(s.overlay, .guardBlocked(draft, violations: v))

        var lead = loaded(role: .lead, selected: 1)
        _ = Reducer.reduce(into: &lead, .replyChecked(draft, violations: v))
        _ = press(&lead, .char("o"))
        XCTAssertEqual(lead.overlay, .prompt(.overrideReason, text: ""))
        _ = press(&lead, .char("o"), .char("k"))
        var withReason = draft
        withReason.override = "ok"
        XCTAssertEqual(press(&lead, .enter), [.checkReply(withReason)])
        // Still violating, but overridden by a lead with a reason: queued, reason attached.
        XCTAssertEqual(Reducer.reduce(into: &lead, .replyChecked(withReason, violations: v)),
                       [.perform(.queueReply(message: 2, text: draft.text, templateID: nil, visibility: .public, override: "ok"))])
    }

    func testFreeTextReplyIsRefusedInTemplateOnlyLanesUnlessLead() {
        var s = loaded()  // urgent
        XCTAssertEqual(press(&s, .char("R")), [])
        XCTAssertNil(s.overlay)
        XCTAssertEqual(s.flash?.isError, true)
        XCTAssertTrue(s.flash!.text.contains("templates only"))

        var other = loaded(selected: 2)  // new lane
        _ = press(&other, .char("R"))
        XCTAssertEqual(other.overlay, .prompt(.freeReply, text: ""))
        _ = press(&other, .char("H"), .char("i"))
        XCTAssertEqual(press(&other, .enter), [.checkReply(ReplyDraft(messageID: 3, text: "Hi", templateID: nil, visibility: .public, override: nil))])

        var lead = loaded(role: .lead)
        _ = press(&lead, .char("R"))
        XCTAssertEqual(lead.overlay, .prompt(.freeReply, text: ""))
    }

    func testRolesAreEnforcedInTheCore() {
        var trainee = loaded(role: .trainee)
        for key: KeyEvent in [.char("x"), .char("h"), .char("1"), .char("e"), .char("c"), .char("z"), .char("D"), .char("u"), .char("R")] {
            XCTAssertEqual(press(&trainee, key), [], key.name)
            XCTAssertNil(trainee.overlay, key.name)
            XCTAssertTrue(trainee.flash?.text.hasPrefix("Your role (trainee) cannot") ?? false, key.name)
        }
        _ = press(&trainee, .char("n"))
        XCTAssertEqual(trainee.overlay, .prompt(.note, text: ""))
        _ = press(&trainee, .escape)
        _ = press(&trainee, .char("t"))
        XCTAssertEqual(trainee.tagged, [1])

        var ro = loaded(role: .readonly)
        XCTAssertEqual(press(&ro, .char("n")), [])
        XCTAssertNil(ro.overlay)
        XCTAssertEqual(ro.flash?.text, "Your role (readonly) cannot add notes")

        var mod = loaded()
        XCTAssertEqual(press(&mod, .char("D")), [])
        XCTAssertEqual(mod.flash?.text, "Your role (moderator) cannot delete messages (leads only)")
        XCTAssertEqual(press(&mod, .char(":"), .char("e"), .char("x"), .char("p"), .char("o"), .char("r"), .char("t"), .enter), [])
        XCTAssertEqual(mod.flash?.text, "Your role (moderator) cannot export (leads only)")
    }

    func testHideOffersTheReasonPreselectedFromTheFlag() {
        var s = loaded(selected: 6)  // PHI message 7
        _ = press(&s, .char("h"))
        guard case .menu(let m) = s.overlay else { return XCTFail("no menu") }
        XCTAssertEqual(m.kind, .hideReason)
        XCTAssertEqual(m.selected, 3)  // phi
        XCTAssertEqual(press(&s, .enter), [.perform(.hide(message: 7, reasonCode: "phi"))])
        XCTAssertNil(s.overlay)
        _ = press(&s, .char("h"), .char("k"))
        XCTAssertEqual(press(&s, .enter), [.perform(.hide(message: 7, reasonCode: "spam"))])
        _ = press(&s, .char("h"))
        XCTAssertEqual(press(&s, .char("1")), [.perform(.hide(message: 7, reasonCode: "personal_attack"))])
    }

    func testDeleteIsForLeadsAndAsksToConfirm() {
        var s = loaded(role: .lead, selected: 5)  // offensive message 6
        _ = press(&s, .char("D"))
        XCTAssertEqual(press(&s, .enter), [])
        guard case .confirm(.delete(6, "profanity"), _) = s.overlay else { return XCTFail("\(String(describing: s.overlay))") }
        XCTAssertEqual(press(&s, .char("n")), [])
        XCTAssertNil(s.overlay)
        _ = press(&s, .char("D"), .enter)
        XCTAssertEqual(press(&s, .char("y")), [.perform(.delete(message: 6, reasonCode: "profanity"))])
    }

    func testEscalateGoesToThePolicyContactWithOptionalNote() {
        var s = loaded()
        _ = press(&s, .char("e"))
        XCTAssertEqual(s.overlay, .prompt(.escalateNote(contact: "On-call nurse"), text: ""))
        XCTAssertEqual(press(&s, .enter), [.perform(.escalate(message: 1, contact: "On-call nurse", note: nil))])
        _ = press(&s, .char("e"), .char("h"), .char("i"))
        XCTAssertEqual(press(&s, .enter), [.perform(.escalate(message: 1, contact: "On-call nurse", note: "hi"))])
    }

    func testClaimTogglesAndSnoozeOffersThreeTimes() {
        var s = loaded()
        XCTAssertEqual(press(&s, .char("c")), [.perform(.claim(message: 1))])
        s.list.rows[0].claimedBy = "alice"
        XCTAssertEqual(press(&s, .char("c")), [.perform(.unclaim(message: 1))])
        _ = press(&s, .char("z"))
        guard case .menu(let m) = s.overlay else { return XCTFail() }
        XCTAssertEqual(m.options, ["1 hour", "4 hours", "Tomorrow 08:00"])
        // now = 2027-01-15 08:00 UTC, so tomorrow 08:00 is exactly 24 h later.
        XCTAssertEqual(press(&s, .char("3")), [.perform(.snooze(message: 1, until: now.addingTimeInterval(86400)))])
        _ = press(&s, .char("z"), .char("j"))
        XCTAssertEqual(press(&s, .enter), [.perform(.snooze(message: 1, until: now.addingTimeInterval(4 * 3600)))])
    }

    func testScrollingStopsAtTheEnd() {
        var s = loaded()
        _ = press(&s, .enter)
        XCTAssertTrue(s.fullDetail)
        for _ in 0..<50 { _ = press(&s, .char("j")) }
        // The detail of message 1 is 14 lines at 80 columns; 21 rows are available: no scrolling.
        XCTAssertEqual(s.detailScroll, 0)
        _ = press(&s, .escape)
        XCTAssertFalse(s.fullDetail)
        _ = press(&s, .char("?"))
        for _ in 0..<500 { _ = press(&s, .char("j")) }
        guard case .help(let scroll) = s.overlay else { return XCTFail() }
        XCTAssertEqual(scroll, Renderer.helpLines(s.keyMap).count - 19)
        _ = press(&s, .char("k"))
        guard case .help(let after) = s.overlay else { return XCTFail() }
        XCTAssertEqual(after, scroll - 1, "one key scrolls back at once")
    }

    func testEscapeClosesAnyOverlay() {
        var s = loaded()
        for opener: KeyEvent in [.char("?"), .char("/"), .char(":"), .char("h"), .char("z"), .char("n"), .char("e")] {
            _ = press(&s, opener)
            XCTAssertNotNil(s.overlay, opener.name)
            _ = press(&s, .escape)
            XCTAssertNil(s.overlay, opener.name)
        }
    }

    func testSearchAppliesTheFilterOrShowsTheError() {
        var s = loaded()
        _ = press(&s, .char("/"))
        for c in "flag:phi" { _ = press(&s, .char(c)) }
        let e = press(&s, .enter)
        XCTAssertEqual(s.query.flags.include, [.phiExposure])
        XCTAssertEqual(e, [.loadPage(PageRequest(queue: .all, query: s.query, anchor: .start, limit: 50, purpose: .replace(selectLast: false)))])
        _ = press(&s, .char("/"))
        XCTAssertEqual(s.overlay, .prompt(.search, text: "flag:phi"), "the prompt starts from the current filter")
        _ = press(&s, .ctrl("u"))
        for c in "kind:fax" { _ = press(&s, .char(c)) }
        XCTAssertEqual(press(&s, .enter), [])
        XCTAssertEqual(s.overlay, .prompt(.search, text: "kind:fax"))
        XCTAssertTrue(s.flash!.text.contains("unknown kind 'fax'"))
        XCTAssertEqual(s.query.flags.include, [.phiExposure], "a bad filter leaves the old one")
    }

    func testCommandLineSwitchesQueue() {
        var s = loaded()
        _ = press(&s, .char(":"))
        for c in "queue reviews" { _ = press(&s, .char(c)) }
        _ = press(&s, .enter)
        XCTAssertEqual(s.queue, .reviews)
        _ = press(&s, .char(":"))
        for c in "queue nope" { _ = press(&s, .char(c)) }
        _ = press(&s, .enter)
        XCTAssertEqual(s.queue, .reviews)
        XCTAssertTrue(s.flash!.text.hasPrefix("No queue 'nope'"))
    }

    func testApplyToTaggedOnlyTouchesTaggedMessagesInTheView() {
        var s = loaded()
        _ = press(&s, .char("t"), .char("t"))  // tags 1 and 2
        _ = press(&s, .char("j"), .char("t"))  // tags 4
        XCTAssertEqual(s.tagged, [1, 2, 4])
        XCTAssertEqual(press(&s, .char(";")), [.resolveTaggedInView(ids: [1, 2, 4], queue: .all, query: InboxQuery())])
        // The store says only 2 and 4 are in the current view.
        _ = Reducer.reduce(into: &s, .taggedInViewResolved([2, 4]))
        XCTAssertEqual(s.bulkTargets, [2, 4])
        XCTAssertTrue(s.flash!.text.contains("2 tagged in view"))
        _ = press(&s, .char("k"))  // moving keeps the pending ';'
        XCTAssertEqual(s.bulkTargets, [2, 4])
        XCTAssertEqual(press(&s, .char("x")), [])
        XCTAssertEqual(s.overlay, .confirm(.bulk(.done, ids: [2, 4]), question: "Mark 2 tagged messages done? (y/n)"))
        XCTAssertEqual(press(&s, .char("y")), [.performBulk([.markDone(message: 2), .markDone(message: 4)])])
        XCTAssertNil(s.bulkTargets)
    }

    func testApplyToTaggedRefusesActionsItCannotApply() {
        var s = loaded()
        s.tagged = [1]
        _ = Reducer.reduce(into: &s, .taggedInViewResolved([1]))
        XCTAssertEqual(press(&s, .char("1")), [])
        XCTAssertNil(s.bulkTargets)
        XCTAssertEqual(s.flash?.text, "That action cannot be applied to tagged messages (x, c, h, z can)")
    }

    func testApplyToTaggedCanBeCancelled() {
        var s = loaded()
        s.tagged = [1]
        _ = Reducer.reduce(into: &s, .taggedInViewResolved([1]))
        _ = press(&s, .escape)
        XCTAssertNil(s.bulkTargets)
        XCTAssertEqual(press(&s, .char("x")), [.perform(.markDone(message: 1))], "x acts on the selection again")
    }

    func testQuitWithPendingRepliesAsks() {
        var s = loaded()
        XCTAssertEqual(press(&s, .char("q")), [.quit])
        XCTAssertTrue(s.quitRequested)

        var p = loaded()
        p.pendingReplies = [PendingReply(outboxID: 8, messageID: 1, deadline: now.addingTimeInterval(3))]
        XCTAssertEqual(press(&p, .char("q")), [])
        guard case .menu(let m) = p.overlay else { return XCTFail() }
        XCTAssertEqual(m.kind, .quitPending)
        XCTAssertFalse(p.quitRequested)
        XCTAssertEqual(press(&p, .char("2")), [.perform(.cancelReply(outbox: 8)), .quit])
        XCTAssertTrue(p.quitRequested)
    }

    func testDataVersionChangeRefreshesAroundTheSelection() {
        var s = loaded(selected: 1)
        XCTAssertEqual(Reducer.reduce(into: &s, .dataVersionPolled(5)), [], "the first poll only records the version")
        XCTAssertEqual(Reducer.reduce(into: &s, .dataVersionPolled(5)), [])
        XCTAssertEqual(Reducer.reduce(into: &s, .dataVersionPolled(6)),
                       [.loadCounts, .reloadWindow(WindowRequest(queue: .all, query: InboxQuery(), around: rows[1].cursor, keepID: 2, limit: 50))])
    }

    func testPollingHappensAboutOnceASecond() {
        var s = loaded()
        s.lastPoll = now
        XCTAssertFalse(Reducer.reduce(into: &s, .clockTicked(now.addingTimeInterval(0.5))).contains(.pollDataVersion))
        XCTAssertTrue(Reducer.reduce(into: &s, .clockTicked(now.addingTimeInterval(1.0))).contains(.pollDataVersion))
    }

    func testRefusalIsShownInPlainWords() {
        var s = loaded()
        _ = Reducer.reduce(into: &s, .commandFinished(.claim(message: 1), .failure(Refusal("Already claimed by sam"))))
        XCTAssertEqual(s.flash, Flash(text: "Already claimed by sam", isError: true, until: now.addingTimeInterval(4)))
        XCTAssertTrue(Renderer.render(s).line(23).contains("Already claimed by sam"))
    }

    func testTinyTerminalOnlyAcceptsQuit() {
        var s = loaded()
        _ = Reducer.reduce(into: &s, .terminalResized(width: 59, height: 20))
        XCTAssertEqual(press(&s, .char("x")), [])
        XCTAssertEqual(press(&s, .char("q")), [.quit])
    }
}
