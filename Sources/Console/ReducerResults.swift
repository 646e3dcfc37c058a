import Foundation
import InboxModel

/// Results coming back from the store: commands carried out, pages and windows of the list,
/// and moving through the list.
extension Reducer {
    static func commandFinished(_ s: inout ConsoleState, _ command: ModeratorCommand, _ result: Result<CommandReceipt, Refusal>) -> [Effect] {
        switch result {
        case .failure(let refusal):
            say(&s, refusal.message, error: true)
            return refresh(s)
        case .success(let receipt):
            switch command {
            case .queueReply(let id, _, _, _, _):
                if let outbox = receipt.outboxID {
                    s.undoStack.append(.reply(outbox: outbox))
                    s.pendingReplies.append(PendingReply(outboxID: outbox, messageID: id,
                                                         deadline: s.now.addingTimeInterval(TimeInterval(s.undoWindowSeconds))))
                }
                say(&s, receipt.summary.isEmpty ? "Reply queued: u to undo" : receipt.summary)
            case .releaseReply:
                return [.loadCounts]  // quiet: the countdown already said it
            default:
                if let a = receipt.undoableAction { s.undoStack.append(.action(a)) }
                say(&s, receipt.summary)
            }
            return refresh(s)
        }
    }

    /// After anything may have changed: counts, the window around the selection, the detail.
    static func refresh(_ s: ConsoleState) -> [Effect] {
        var e: [Effect] = [.loadCounts]
        e.append(.reloadWindow(WindowRequest(queue: s.queue, query: s.query, around: s.selectedRow?.cursor,
                                             keepID: s.selectedID, limit: pageLimit)))
        return e
    }

    static func pageLoaded(_ s: inout ConsoleState, _ req: PageRequest, _ rows: [MessageRow]) -> [Effect] {
        let full = rows.count >= req.limit
        switch req.purpose {
        case .replace(let selectLast):
            s.list = ListWindow(rows: rows, atStart: selectLast ? !full : true, atEnd: selectLast ? true : !full,
                                selected: selectLast ? max(0, rows.count - 1) : 0, scrollTop: 0)
            s.listLoaded = true
            clampScroll(&s)
            return detailEffects(&s, previous: nil)
        case .append:
            s.list.rows += rows.filter { r in !s.list.rows.contains { $0.id == r.id } }
            s.list.atEnd = !full
            trim(&s, keepEnd: true)
        case .prepend:
            let new = rows.filter { r in !s.list.rows.contains { $0.id == r.id } }
            s.list.rows = new + s.list.rows
            s.list.selected += new.count
            s.list.scrollTop += new.count
            s.list.atStart = !full
            trim(&s, keepEnd: false)
        }
        clampScroll(&s)
        return []
    }

    static func windowReloaded(_ s: inout ConsoleState, _ req: WindowRequest, _ before: [MessageRow], _ from: [MessageRow]) -> [Effect] {
        let previous = s.selectedID
        let offset = s.list.selected - s.list.scrollTop
        var rows = before
        for r in from where !rows.contains(where: { $0.id == r.id }) { rows.append(r) }
        var sel = rows.firstIndex { $0.id == req.keepID } ?? min(before.count, max(0, rows.count - 1))
        if rows.isEmpty { sel = 0 }
        s.list = ListWindow(rows: rows, atStart: req.around == nil || before.count < req.limit,
                            atEnd: from.count < req.limit, selected: sel, scrollTop: max(0, sel - offset))
        s.listLoaded = true
        clampScroll(&s)
        var effects = detailEffects(&s, previous: previous)
        // The detail may have changed even when the selection did not.
        if effects.isEmpty, let id = s.selectedID { effects.append(.loadDetail(id: id)) }
        return effects
    }

    static func trim(_ s: inout ConsoleState, keepEnd: Bool) {
        let excess = s.list.rows.count - windowLimit
        guard excess > 0 else { return }
        if keepEnd {
            let drop = min(excess, max(0, s.list.scrollTop))
            s.list.rows.removeFirst(drop)
            s.list.selected -= drop
            s.list.scrollTop -= drop
            if drop > 0 { s.list.atStart = false }
        } else {
            let lastVisible = s.list.scrollTop + Layout(width: s.width, height: s.height).listHeight
            let drop = min(excess, max(0, s.list.rows.count - lastVisible - 1))
            s.list.rows.removeLast(drop)
            if drop > 0 { s.list.atEnd = false }
        }
    }


    static func move(_ s: inout ConsoleState, by delta: Int) -> [Effect] {
        guard !s.list.rows.isEmpty else { return [] }
        return select(&s, s.list.selected + delta)
    }

    static func select(_ s: inout ConsoleState, _ index: Int) -> [Effect] {
        guard !s.list.rows.isEmpty else { return [] }
        let previous = s.selectedID
        s.list.selected = min(max(0, index), s.list.rows.count - 1)
        clampScroll(&s)
        var effects = detailEffects(&s, previous: previous)
        let h = Layout(width: s.width, height: s.height).listHeight
        if !s.list.atEnd, s.list.selected >= s.list.rows.count - h, let last = s.list.rows.last {
            effects.append(.loadPage(PageRequest(queue: s.queue, query: s.query, anchor: .after(last.cursor), limit: pageLimit, purpose: .append)))
        }
        if !s.list.atStart, s.list.selected < h, let first = s.list.rows.first {
            effects.append(.loadPage(PageRequest(queue: s.queue, query: s.query, anchor: .before(first.cursor), limit: pageLimit, purpose: .prepend)))
        }
        return effects
    }

    static func detailEffects(_ s: inout ConsoleState, previous: Int64?) -> [Effect] {
        guard let id = s.selectedID else { s.context = nil; return [] }
        if id != previous {
            s.detailScroll = 0
            return [.loadDetail(id: id)]
        }
        return []
    }

    static func clampScroll(_ s: inout ConsoleState) {
        let h = Layout(width: s.width, height: s.height).listHeight
        let n = s.list.rows.count
        s.list.selected = n == 0 ? 0 : min(max(0, s.list.selected), n - 1)
        if s.list.selected < s.list.scrollTop { s.list.scrollTop = s.list.selected }
        if s.list.selected >= s.list.scrollTop + h { s.list.scrollTop = s.list.selected - h + 1 }
        s.list.scrollTop = max(0, min(s.list.scrollTop, max(0, n - h)))
        if s.list.selected < s.list.scrollTop { s.list.scrollTop = s.list.selected }
    }

    static func switchQueue(_ s: inout ConsoleState, _ q: QueueID) -> [Effect] {
        s.queue = q
        s.list = ListWindow()
        s.listLoaded = false
        s.context = nil
        s.fullDetail = false
        s.bulkTargets = nil
        return [.loadCounts, .loadPage(firstPage(s))]
    }

    static func firstPage(_ s: ConsoleState) -> PageRequest {
        PageRequest(queue: s.queue, query: s.query, anchor: .start, limit: pageLimit, purpose: .replace(selectLast: false))
    }
}
