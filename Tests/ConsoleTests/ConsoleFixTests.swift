import Foundation
import InboxModel
import XCTest
@testable import Console

/// Regressions from the end-to-end run: undo order, queue bar, menu titles, key hints and the
/// status position under a filter.
final class ConsoleFixTests: XCTestCase {
    let now = Fixtures.now

    func pad(_ s: String, _ w: Int) -> String { s + String(repeating: " ", count: max(0, w - TextWidth.of(s))) }

    func send(_ d: ConsoleDriver, _ keys: KeyEvent...) { for k in keys { d.send(.keyPressed(k)) } }

    func type(_ d: ConsoleDriver, _ text: String) { for c in text { d.send(.keyPressed(.char(c))) } }

    func store(_ n: Int, every: Int, word: String) -> InMemoryConsoleStore {
        var details: [MessageDetail] = []
        for i in 1...n {
            let text = "message \(i)" + (i % every == 0 ? " \(word)" : "")
            let row = Fixtures.row(Int64(i), .facebook, .comment, lane: .new, author: "user\(i)", ago: Double(i * 60), text: text)
            details.append(MessageDetail(row: row, text: text))
        }
        return InMemoryConsoleStore(details)
    }

    // MARK: 1. Undo follows the order actions were taken

    /// The end-to-end steps: `1` queues a reply, `j` moves on, `h` Enter hides, then `u` twice.
    func testUndoTakesBackTheHideBeforeTheEarlierPendingReply() {
        let (d, store) = Fixtures.driver(queue: .all)
        send(d, .char("1"))
        let outbox = try! XCTUnwrap(store.outbox.keys.first)
        XCTAssertEqual(store.outbox[outbox]?.state, "pending")
        send(d, .char("j"))
        let hidden = try! XCTUnwrap(d.state.selectedID)
        send(d, .char("h"), .enter)
        XCTAssertEqual(store.items.first { $0.detail.row.id == hidden }?.detail.row.state, .hidden)
        d.send(.clockTicked(now.addingTimeInterval(3)))

        send(d, .char("u"))
        XCTAssertEqual(store.items.first { $0.detail.row.id == hidden }?.detail.row.state, .open, "the hide came last")
        XCTAssertEqual(store.outbox[outbox]?.state, "pending", "the reply is still in its window")
        XCTAssertEqual(d.state.pendingReplies.map(\.outboxID), [outbox])

        send(d, .char("u"))
        XCTAssertEqual(store.outbox[outbox]?.state, "cancelled")
        XCTAssertTrue(d.state.pendingReplies.isEmpty)
        d.send(.clockTicked(now.addingTimeInterval(11)))
        XCTAssertEqual(store.outbox[outbox]?.state, "cancelled", "a cancelled reply is never released")
    }

    /// Interleaved: hide, reply, done: `u` takes them back newest first.
    func testUndoInterleavesRepliesAndActionsInTheOrderTaken() {
        var s = ConsoleState(moderator: "alice", role: .moderator, now: now)
        let reply = ModeratorCommand.queueReply(message: 1, text: "x", templateID: nil, visibility: .private, override: nil)
        _ = Reducer.reduce(into: &s, .commandFinished(.hide(message: 2, reasonCode: "spam"), .success(CommandReceipt(summary: "Hidden", undoableAction: 50))))
        _ = Reducer.reduce(into: &s, .commandFinished(reply, .success(CommandReceipt(summary: "", undoableAction: 51, outboxID: 9))))
        _ = Reducer.reduce(into: &s, .commandFinished(.markDone(message: 3), .success(CommandReceipt(summary: "Done", undoableAction: 52))))
        XCTAssertEqual(Reducer.reduce(into: &s, .keyPressed(.char("u"))), [.perform(.undo(action: 52))])
        XCTAssertEqual(Reducer.reduce(into: &s, .keyPressed(.char("u"))), [.perform(.cancelReply(outbox: 9))])
        XCTAssertEqual(Reducer.reduce(into: &s, .keyPressed(.char("u"))), [.perform(.undo(action: 50))])
        XCTAssertEqual(Reducer.reduce(into: &s, .keyPressed(.char("u"))), [])
        XCTAssertEqual(s.flash?.text, "Nothing to undo")
    }

    // MARK: 2. Queue bar

    /// Short titles summing to exactly 80 columns.
    static let counts80: QueueCounts = [.urgent: 14, .phi: 9, .symptoms: 22, .offensive: 12, .reviews: 31, .new: 40,
                                        .mine: 3, .snoozed: 5, .done: 70, .all: 202]

    func testQueueBarShowsEveryQueueWhenTheyFitExactly() {
        for q in [QueueID.all, .urgent, .done] {
            var s = ConsoleState(moderator: "alice", role: .moderator, width: 80, height: 24, now: now)
            s.queue = q
            s.counts = Self.counts80
            s.listLoaded = true
            let line = Renderer.render(s).line(0)
            XCTAssertEqual(line, " Urg 14  PHI 9  Sym 22  Off 12  Rev 31  New 40  Mine 3  Snz 5  Done 70  All 202 ", "\(q)")
            XCTAssertFalse(line.contains("‹"))
        }
    }

    func testQueueBarScrollsWithMarkersOnlyWhenNeeded() {
        var s = ConsoleState(moderator: "alice", role: .moderator, width: 60, height: 15, now: now)
        s.counts = Self.counts80
        s.listLoaded = true
        // Current queue last: scrolled, "‹" on the left, nothing cut on the right.
        s.queue = .all
        var line = Renderer.render(s).line(0)
        XCTAssertTrue(line.hasPrefix("‹ "), line)
        XCTAssertTrue(line.contains("All 202"), line)
        XCTAssertFalse(line.contains("›"), line)
        // Current queue first: not scrolled; the queues that do not fit are marked "›", none cut mid-name.
        s.queue = .urgent
        line = Renderer.render(s).line(0)
        XCTAssertTrue(line.hasPrefix("Urg 14 "), line)
        XCTAssertFalse(line.contains("‹"), line)
        XCTAssertEqual(line.last, "›", line)
        let shown = line.dropLast().split(separator: " ").map(String.init)
        let names = ["Urg", "PHI", "Sym", "Off", "Rev", "New", "Mine", "Snz", "Done", "All"]
        for (i, w) in shown.enumerated() where i % 2 == 0 { XCTAssertTrue(names.contains(w), "whole names only: \(line)") }
    }

    // MARK: 3. Menu titles

    func testMenuTitleIsNeverCut() {
        let (d, _) = Fixtures.driver(queue: .all)
        send(d, .char("1"), .char("q"))
        let screen = Renderer.render(d.state)
        let title = "1 reply is still in the undo window"
        XCTAssertTrue(screen.lines.contains { $0.contains(" \(title) ") }, screen.lines.joined(separator: "\n"))
        // The cursor is on the selected option.
        let row = try! XCTUnwrap(screen.cursor?.row)
        XCTAssertTrue(screen.line(row).contains("1 Send"), screen.line(row))
    }

    func testMenuTitleWiderThanTheScreenWraps() {
        var s = ConsoleState(moderator: "alice", role: .moderator, width: 60, height: 15, now: now)
        s.listLoaded = true
        let title = "A very long question that cannot possibly fit on one line of a sixty column screen, ever"
        s.overlay = .menu(Menu(kind: .quitPending, title: title, options: ["Yes", "No"], selected: 1))
        let screen = Renderer.render(s)
        for r in 0..<screen.height { XCTAssertEqual(TextWidth.of(screen.line(r)), 60) }
        // The text inside the box, row by row.
        let inside = screen.lines.compactMap { line -> String? in
            guard let a = line.firstIndex(of: "│"), let b = line.lastIndex(of: "│"), a < b else { return nil }
            return String(line[line.index(after: a)..<b])
        }
        let words = inside.joined(separator: " ").split(separator: " ").joined(separator: " ")
        XCTAssertTrue(words.contains(title), words)
        XCTAssertTrue(screen.line(try! XCTUnwrap(screen.cursor?.row)).contains("2 No"))
    }

    // MARK: 4. Key hints

    func testKeyHintsAreWholeAndKeepHelpAndQuit() {
        for w in [60, 70, 80, 90, 100, 120] {
            var s = ConsoleState(moderator: "alice", role: .moderator, width: w, height: 24, now: now)
            s.listLoaded = true
            let line = Renderer.render(s).line(23)
            XCTAssertEqual(TextWidth.of(line), w)
            let text = line.trimmingCharacters(in: .whitespaces)
            XCTAssertTrue(text.hasSuffix("? help  q quit"), "\(w): \(line)")
            let hints = text.components(separatedBy: "  ")
            let whole = ["j move", "Tab queue", "1-9 reply", "h hide", "e escalate", "x done", "u undo", "/ search", "? help", "q quit"]
            for h in hints { XCTAssertTrue(whole.contains(h), "\(w): cut hint '\(h)' in \(line)") }
            if w >= 100 { XCTAssertEqual(hints, whole) }
        }
        var s = ConsoleState(moderator: "alice", role: .moderator, width: 80, height: 24, now: now)
        s.listLoaded = true
        let line = Renderer.render(s).line(23)
        XCTAssertEqual(line, pad(" j move  Tab queue  1-9 reply  h hide  e escalate  u undo  ? help  q quit", 80))
    }

    // MARK: 5. Status position under a filter

    func testStatusCountsWhatTheFilteredListShows() {
        let (d, _) = Fixtures.driver(queue: .new, store: store(100, every: 10, word: "parking"))
        send(d, .char("/")); type(d, "parking"); send(d, .enter)
        XCTAssertEqual(d.state.list.rows.count, 10)
        var status = Renderer.render(d.state).line(22)
        XCTAssertTrue(status.contains("New 1 of 10 matching"), status)
        XCTAssertFalse(status.contains("/100"), status)
        send(d, .char("j"), .char("j"))
        status = Renderer.render(d.state).line(22)
        XCTAssertTrue(status.contains("New 3 of 10 matching"), status)
        // Unfiltered, the position still counts the whole queue.
        send(d, .char("/"), .ctrl("u"), .enter)
        status = Renderer.render(d.state).line(22)
        XCTAssertTrue(status.contains("New 1/100"), status)
    }

    func testStatusSaysWhenOnlyPartOfTheMatchesIsLoaded() {
        let (d, _) = Fixtures.driver(queue: .new, store: store(2000, every: 10, word: "parking"))
        send(d, .char("/")); type(d, "parking"); send(d, .enter)
        let status = Renderer.render(d.state).line(22)
        XCTAssertTrue(status.contains("New 1 of 50+ matching"), status)
        XCTAssertFalse(status.contains("/2000"), status)
    }

    func testStatusSaysNoMatches() {
        let (d, _) = Fixtures.driver(queue: .offensive)
        send(d, .char("/")); type(d, "parking"); send(d, .enter)
        XCTAssertTrue(d.state.list.rows.isEmpty)
        let status = Renderer.render(d.state).line(22)
        XCTAssertTrue(status.contains("Offensive: no matches"), status)
        XCTAssertFalse(status.contains("0/"), status)
    }
}

final class ReadOnlyStatusTests: XCTestCase {
    func testSomeoneNotOnTheTeamIsToldTheConsoleIsReadOnly() {
        let state = ConsoleState(moderator: "eve", role: .readonly, width: 100, height: 30, now: Date())
        let screen = Renderer.render(state)
        XCTAssertTrue((0..<30).contains { screen.line($0).contains("eve (READ-ONLY: not on the team)") })
    }
}
