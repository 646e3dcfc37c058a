import Foundation
import InboxModel

/// What a command of the key map does.
extension Reducer {
    static func run(_ s: inout ConsoleState, _ command: Command) -> [Effect] {
        let passThrough: Set<Command> = [.cancel, .moveDown, .moveUp, .pageDown, .pageUp, .first, .last, .openDetail, .help, .redraw]
        if let targets = s.bulkTargets, !passThrough.contains(command) {
            return bulk(&s, command, targets)
        }
        switch command {
        case .moveDown, .moveUp, .pageDown, .pageUp, .first, .last, .nextQueue, .previousQueue, .openDetail:
            return navigate(&s, command)
        case .replyTemplate, .freeReply:
            return startReply(&s, command)
        case .hide, .delete, .escalate, .markDone, .claimToggle, .snooze, .note:
            return moderate(&s, command)
        case .undo:
            return undo(&s)
        case .retryDelivery, .cancelDelivery:
            return leadOnDelivery(&s, command)
        case .tag, .tagMatching, .applyToTagged:
            return tagging(&s, command)
        case .search, .commandLine, .help, .cancel, .quit, .redraw:
            return screenCommand(&s, command)
        }
    }

    /// Moving in the list, between queues, into the detail.
    static func navigate(_ s: inout ConsoleState, _ command: Command) -> [Effect] {
        switch command {
        case .moveDown: return move(&s, by: 1)
        case .moveUp: return move(&s, by: -1)
        case .pageDown: return move(&s, by: max(1, Layout(width: s.width, height: s.height).listHeight - 1))
        case .pageUp: return move(&s, by: -max(1, Layout(width: s.width, height: s.height).listHeight - 1))
        case .first:
            if s.list.atStart { return select(&s, 0) }
            return [.loadPage(firstPage(s))]
        case .last:
            if s.list.atEnd { return select(&s, s.list.rows.count - 1) }
            return [.loadPage(PageRequest(queue: s.queue, query: s.query, anchor: .end, limit: pageLimit, purpose: .replace(selectLast: true)))]
        case .nextQueue, .previousQueue:
            let all = QueueID.allCases
            let i = all.firstIndex(of: s.queue) ?? 0
            let n = (i + (command == .nextQueue ? 1 : all.count - 1)) % all.count
            return switchQueue(&s, all[n])
        case .openDetail:
            guard s.selectedRow != nil else { return [] }
            s.fullDetail.toggle()
            s.detailScroll = 0
            return []
        default: return []
        }
    }

    /// A template reply goes to the guard at once; a free-text one opens its prompt first.
    static func startReply(_ s: inout ConsoleState, _ command: Command) -> [Effect] {
        switch command {
        case .replyTemplate(let n):
            guard allowed(&s, .reply), let ctx = needContext(&s) else { return [] }
            guard ctx.templates.indices.contains(n - 1) else {
                say(&s, ctx.templates.isEmpty ? "No reply template fits this message" : "There are only \(ctx.templates.count) templates", error: true)
                return []
            }
            let t = ctx.templates[n - 1]
            return [.checkReply(ReplyDraft(messageID: ctx.detail.row.id, text: t.text, templateID: t.templateID, visibility: ctx.detail.row.visibility))]
        case .freeReply:
            guard allowed(&s, .reply), let row = needRow(&s) else { return [] }
            if row.lane == .urgent || row.lane == .symptoms {
                guard s.role.may(.freeReplyInTemplateLanes) else {
                    say(&s, "\(row.lane == .urgent ? "Urgent" : "Symptoms") messages take approved templates only: press 1-9", error: true)
                    return []
                }
            }
            s.overlay = .prompt(.freeReply, text: "")
            return []
        default: return []
        }
    }

    /// Actions on the selected message: each checks the role, and the ones with a choice open it.
    static func moderate(_ s: inout ConsoleState, _ command: Command) -> [Effect] {
        switch command {
        case .hide:
            return chooseRemovalReason(&s, deleting: false)
        case .delete:
            return chooseRemovalReason(&s, deleting: true)
        case .escalate:
            guard allowed(&s, .escalate), let ctx = needContext(&s) else { return [] }
            s.overlay = .prompt(.escalateNote(contact: ctx.escalationContact), text: "")
            return []
        case .markDone:
            guard allowed(&s, .done), let row = needRow(&s) else { return [] }
            return [.perform(.markDone(message: row.id))]
        case .claimToggle:
            guard allowed(&s, .claim), let row = needRow(&s) else { return [] }
            return [.perform(row.claimedBy == s.moderator ? .unclaim(message: row.id) : .claim(message: row.id))]
        case .snooze:
            guard allowed(&s, .snooze), needRow(&s) != nil else { return [] }
            s.overlay = .menu(Menu(kind: .snooze, title: "Snooze until (Enter, Esc)", options: snoozeOptions(s).map(\.label), selected: 0))
            return []
        case .note:
            guard allowed(&s, .note), needRow(&s) != nil else { return [] }
            s.overlay = .prompt(.note, text: "")
            return []
        default: return []
        }
    }

    /// Hide and delete both take a reason from the commenting policy, chosen in a menu.
    static func chooseRemovalReason(_ s: inout ConsoleState, deleting: Bool) -> [Effect] {
        guard allowed(&s, deleting ? .delete : .hide), let ctx = needContext(&s) else { return [] }
        guard !ctx.reasons.isEmpty else { say(&s, "The commenting policy lists no removal reasons", error: true); return [] }
        s.overlay = .menu(Menu(kind: deleting ? .deleteReason : .hideReason, title: "\(deleting ? "Delete" : "Hide"): choose the reason (Enter, Esc)",
                               options: ctx.reasons.map { "\($0.label) (\($0.code))" }, selected: ctx.preselectedReason))
        return []
    }

    /// The most recent thing first; replies already released can no longer be taken back.
    static func undo(_ s: inout ConsoleState) -> [Effect] {
        guard allowed(&s, .undo) else { return [] }
        while let entry = s.undoStack.popLast() {
            switch entry {
            case .reply(let outbox):
                guard let i = s.pendingReplies.firstIndex(where: { $0.outboxID == outbox }) else { continue }
                s.pendingReplies.remove(at: i)
                return [.perform(.cancelReply(outbox: outbox))]
            case .action(let a):
                return [.perform(.undo(action: a))]
            }
        }
        if let p = s.pendingReplies.popLast() { return [.perform(.cancelReply(outbox: p.outboxID))] }
        say(&s, "Nothing to undo")
        return []
    }

    /// Tagging messages, and acting on the tagged ones in the current view.
    static func tagging(_ s: inout ConsoleState, _ command: Command) -> [Effect] {
        switch command {
        case .tag:
            guard allowed(&s, .tag), let row = needRow(&s) else { return [] }
            if s.tagged.contains(row.id) { s.tagged.remove(row.id) } else { s.tagged.insert(row.id) }
            return move(&s, by: 1)
        case .tagMatching:
            guard allowed(&s, .tag) else { return [] }
            s.overlay = .prompt(.tagPattern, text: "")
            return []
        case .applyToTagged:
            guard !s.tagged.isEmpty else { say(&s, "No tagged messages: t tags one, T tags all that match"); return [] }
            return [.resolveTaggedInView(ids: s.tagged.sorted(), queue: s.queue, query: s.query)]
        default: return []
        }
    }

    /// Prompts, help, cancelling, quitting and redrawing.
    static func screenCommand(_ s: inout ConsoleState, _ command: Command) -> [Effect] {
        switch command {
        case .search:
            s.overlay = .prompt(.search, text: s.query.source)
            return []
        case .commandLine:
            s.overlay = .prompt(.command, text: "")
            return []
        case .help:
            s.overlay = .help(scroll: 0)
            return []
        case .cancel:
            if s.bulkTargets != nil { s.bulkTargets = nil; say(&s, "Cancelled: tagged messages untouched"); return [] }
            s.fullDetail = false
            s.flash = nil
            return []
        case .quit:
            return quit(&s)
        case .redraw:
            return [.redraw]
        default: return []
        }
    }

    static func quit(_ s: inout ConsoleState) -> [Effect] {
        if !s.pendingReplies.isEmpty {
            let n = s.pendingReplies.count
            s.overlay = .menu(Menu(kind: .quitPending, title: "\(n) repl\(n == 1 ? "y is" : "ies are") still in the undo window",
                                   options: ["Send now (release) and quit", "Cancel and quit", "Stay"], selected: 0))
            return []
        }
        s.quitRequested = true
        return [.quit]
    }

    static func bulk(_ s: inout ConsoleState, _ command: Command, _ ids: [Int64]) -> [Effect] {
        let n = ids.count
        switch command {
        case .markDone:
            guard allowed(&s, .done) else { s.bulkTargets = nil; return [] }
            s.overlay = .confirm(.bulk(.done, ids: ids), question: "Mark \(n) tagged message\(n == 1 ? "" : "s") done? (y/n)")
        case .claimToggle:
            guard allowed(&s, .claim) else { s.bulkTargets = nil; return [] }
            s.overlay = .confirm(.bulk(.claim, ids: ids), question: "Claim \(n) tagged message\(n == 1 ? "" : "s")? (y/n)")
        case .hide:
            guard allowed(&s, .hide) else { s.bulkTargets = nil; return [] }
            guard let ctx = s.selectedContext, !ctx.reasons.isEmpty else { say(&s, "Removal reasons are still loading", error: true); return [] }
            s.overlay = .menu(Menu(kind: .bulkHideReason, title: "Hide \(n) tagged: choose the reason",
                                   options: ctx.reasons.map { "\($0.label) (\($0.code))" }, selected: ctx.preselectedReason))
        case .snooze:
            guard allowed(&s, .snooze) else { s.bulkTargets = nil; return [] }
            s.overlay = .menu(Menu(kind: .snooze, title: "Snooze \(n) tagged until", options: snoozeOptions(s).map(\.label), selected: 0))
        default:
            s.bulkTargets = nil
            say(&s, "That action cannot be applied to tagged messages (x, c, h, z can)", error: true)
        }
        return []
    }

    static func snoozeOptions(_ s: ConsoleState) -> [(label: String, until: Date)] {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = s.timeZone
        let startOfToday = cal.startOfDay(for: s.now)
        let tomorrow8 = cal.date(byAdding: .hour, value: 32, to: startOfToday) ?? s.now.addingTimeInterval(86400)
        return [("1 hour", s.now.addingTimeInterval(3600)), ("4 hours", s.now.addingTimeInterval(4 * 3600)),
                ("Tomorrow 08:00", tomorrow8)]
    }
}
