import Foundation
import InboxModel

/// The console's pure core: applies one action to the state and returns the effects to run.
public enum Reducer {
    /// Rows per list page request.
    public static let pageLimit = 50
    /// Most rows kept in memory; the far side of the window is dropped beyond this.
    public static let windowLimit = 300
    /// Most messages "tag all matching" tags at once.
    public static let tagLimit = 1000
    /// Seconds between `dataVersion` polls.
    public static let pollInterval: TimeInterval = 1
    public static let flashSeconds: TimeInterval = 4

    public static func reduce(into s: inout ConsoleState, _ action: ConsoleAction) -> [Effect] {
        switch action {
        case .started(let now):
            s.now = now
            s.lastPoll = now
            return [.loadCounts, .loadPage(firstPage(s)), .pollDataVersion]

        case .terminalResized(let w, let h):
            s.width = w
            s.height = h
            clampScroll(&s)
            return []

        case .clockTicked(let now):
            s.now = now
            var effects: [Effect] = []
            if let f = s.flash, f.until <= now { s.flash = nil }
            let due = s.pendingReplies.filter { $0.deadline <= now }
            if !due.isEmpty {
                s.pendingReplies.removeAll { $0.deadline <= now }
                effects += due.map { .perform(.releaseReply(outbox: $0.outboxID)) }
            }
            if s.lastPoll.map({ now.timeIntervalSince($0) >= pollInterval }) ?? true {
                s.lastPoll = now
                effects.append(.pollDataVersion)
            }
            return effects

        case .countsLoaded(let c):
            s.counts = c
            return []

        case .pageCutOff(let found):
            say(&s, "Stopped looking after a quarter of a second with \(found) shown: refine the filter or search to find the rest", error: true)
            return []
        case .pageLoaded(let req, let rows):
            guard req.queue == s.queue, req.query == s.query else { return [] }  // stale
            return pageLoaded(&s, req, rows)

        case .windowReloaded(let req, let before, let from):
            guard req.queue == s.queue, req.query == s.query else { return [] }
            return windowReloaded(&s, req, before, from)

        case .detailLoaded(let ctx, let id):
            guard id == s.selectedID else { return [] }
            s.context = ctx
            return []

        case .dataVersionPolled(let v):
            defer { s.dataVersion = v }
            guard let old = s.dataVersion, old != v else { return [] }
            return refresh(s)

        case .replyChecked(let draft, let violations):
            if violations.isEmpty {
                return [.perform(.queueReply(message: draft.messageID, text: draft.text, templateID: draft.templateID,
                                             visibility: draft.visibility, override: draft.override))]
            }
            if draft.override != nil && s.role.may(.overrideGuard) {
                return [.perform(.queueReply(message: draft.messageID, text: draft.text, templateID: draft.templateID,
                                             visibility: draft.visibility, override: draft.override))]
            }
            s.overlay = .guardBlocked(draft, violations: violations)
            return []

        case .commandFinished(let command, let result):
            return commandFinished(&s, command, result)

        case .bulkFinished(let ok, let refusals, let undoable):
            s.undoStack += undoable.map(UndoEntry.action)
            s.bulkTargets = nil
            if refusals.isEmpty {
                say(&s, "Done for \(ok) tagged message\(ok == 1 ? "" : "s")")
            } else {
                say(&s, "\(ok) done, \(refusals.count) refused: \(refusals.first ?? "")", error: true)
            }
            return refresh(s)

        case .taggedInViewResolved(let ids):
            if ids.isEmpty {
                say(&s, "None of the \(s.tagged.count) tagged messages is in this view", error: true)
                return []
            }
            s.bulkTargets = ids
            say(&s, "; \(ids.count) tagged in view: press x done, c claim, h hide, z snooze (Esc cancels)")
            s.flash?.until = s.now.addingTimeInterval(60)
            return []

        case .matchingFound(let ids):
            let before = s.tagged.count
            s.tagged.formUnion(ids)
            let added = s.tagged.count - before
            say(&s, "Tagged \(added) more (\(s.tagged.count) tagged)" + (ids.count >= tagLimit ? "; stopped at \(tagLimit), refine the pattern" : ""))
            return []

        case .exportFinished(let r):
            switch r {
            case .success(let where_): say(&s, "Exported to \(where_)")
            case .failure(let f): say(&s, f.message, error: true)
            }
            return []

        case .loadFailed(let message):
            say(&s, message, error: true)
            return []

        case .keyPressed(let key):
            if key == .resize { return [] }
            if s.isTooSmall {
                if key == .char("q") || key == .ctrl("c") { return quit(&s) }
                return []
            }
            if key == .ctrl("c") {
                if s.overlay != nil { s.overlay = nil; s.pendingOverride = nil; return [] }
                return quit(&s)
            }
            if s.overlay != nil { return overlayKey(&s, key) }
            if s.fullDetail {
                // Scrolling stops at the last page of the detail (computed the way it is drawn).
                let page = max(1, s.height - 4)
                let snapshot = s
                let maxScroll = { max(0, Renderer.detailLines(snapshot, width: snapshot.width).count - (snapshot.height - 3)) }
                switch key {
                case .escape, .enter, .char("q"): s.fullDetail = false; s.detailScroll = 0; return []
                case .char("j"), .down: s.detailScroll = min(maxScroll(), s.detailScroll + 1); return []
                case .char("k"), .up: s.detailScroll = max(0, s.detailScroll - 1); return []
                case .char(" "), .pageDown: s.detailScroll = min(maxScroll(), s.detailScroll + page); return []
                case .pageUp: s.detailScroll = max(0, s.detailScroll - page); return []
                default: break
                }
            }
            guard let command = s.keyMap.command(for: key) else {
                if key != .escape { say(&s, "\(key.name) is not bound; ? shows the keys") }
                return []
            }
            return run(&s, command)
        }
    }

    // MARK: - Commands

    static func run(_ s: inout ConsoleState, _ command: Command) -> [Effect] {
        let passThrough: Set<Command> = [.cancel, .moveDown, .moveUp, .pageDown, .pageUp, .first, .last, .openDetail, .help, .redraw]
        if let targets = s.bulkTargets, !passThrough.contains(command) {
            return bulk(&s, command, targets)
        }
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
        case .hide:
            guard allowed(&s, .hide), let ctx = needContext(&s) else { return [] }
            guard !ctx.reasons.isEmpty else { say(&s, "The commenting policy lists no removal reasons", error: true); return [] }
            s.overlay = .menu(Menu(kind: .hideReason, title: "Hide: choose the reason (Enter, Esc)",
                                   options: ctx.reasons.map { "\($0.label) (\($0.code))" }, selected: ctx.preselectedReason))
            return []
        case .delete:
            guard allowed(&s, .delete), let ctx = needContext(&s) else { return [] }
            guard !ctx.reasons.isEmpty else { say(&s, "The commenting policy lists no removal reasons", error: true); return [] }
            s.overlay = .menu(Menu(kind: .deleteReason, title: "Delete: choose the reason (Enter, Esc)",
                                   options: ctx.reasons.map { "\($0.label) (\($0.code))" }, selected: ctx.preselectedReason))
            return []
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
        case .undo:
            guard allowed(&s, .undo) else { return [] }
            // The most recent thing first; replies already released can no longer be taken back.
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

    // MARK: - Overlays

    static func overlayKey(_ s: inout ConsoleState, _ key: KeyEvent) -> [Effect] {
        guard let overlay = s.overlay else { return [] }
        if key == .escape {
            s.overlay = nil
            if case .menu(let m) = overlay, m.kind == .bulkHideReason || (m.kind == .snooze && s.bulkTargets != nil) { s.bulkTargets = nil }
            if case .confirm(.bulk, _) = overlay { s.bulkTargets = nil }
            return []
        }
        switch overlay {
        case .help(let scroll):
            let maxScroll = max(0, Renderer.helpLines(s.keyMap).count - (Layout(width: s.width, height: s.height).statusRow - 3))
            let page = max(1, s.height - 4)
            switch key {
            case .char("j"), .down: s.overlay = .help(scroll: min(maxScroll, scroll + 1))
            case .char("k"), .up: s.overlay = .help(scroll: max(0, scroll - 1))
            case .char(" "), .pageDown: s.overlay = .help(scroll: min(maxScroll, scroll + page))
            case .pageUp: s.overlay = .help(scroll: max(0, scroll - page))
            case .char("q"), .char("?"), .enter: s.overlay = nil
            default: break
            }
            return []

        case .prompt(let kind, var text):
            switch key {
            case .enter:
                s.overlay = nil
                return submit(&s, kind, text)
            case .backspace, .delete:
                if !text.isEmpty { text.removeLast() }
            case .ctrl("u"):
                text = ""
            case .ctrl("w"):
                while text.last == " " { text.removeLast() }
                while let l = text.last, l != " " { text.removeLast() }
            case .char(let c):
                if text.unicodeScalars.count < 2000 { text.append(c) }
            case .tab:
                text.append(" ")
            default:
                break
            }
            s.overlay = .prompt(kind, text: text)
            return []

        case .menu(var m):
            switch key {
            case .char("j"), .down, .tab: m.selected = min(m.options.count - 1, m.selected + 1)
            case .char("k"), .up, .backTab: m.selected = max(0, m.selected - 1)
            case .enter:
                s.overlay = nil
                return choose(&s, m.kind, m.selected)
            case .char(let c):
                if let d = c.wholeNumberValue, d >= 1, d <= m.options.count {
                    s.overlay = nil
                    return choose(&s, m.kind, d - 1)
                }
            default: break
            }
            s.overlay = .menu(m)
            return []

        case .confirm(let kind, _):
            switch key {
            case .char("y"), .char("Y"):
                s.overlay = nil
                switch kind {
                case .delete(let id, let code):
                    return [.perform(.delete(message: id, reasonCode: code))]
                case .bulk(let action, let ids):
                    s.bulkTargets = nil
                    let commands: [ModeratorCommand] = ids.map { id in
                        switch action {
                        case .done: .markDone(message: id)
                        case .claim: .claim(message: id)
                        case .hide(let code): .hide(message: id, reasonCode: code)
                        case .snooze(let until, _): .snooze(message: id, until: until)
                        }
                    }
                    return [.performBulk(commands)]
                }
            case .char("n"), .char("N"), .char("q"):
                s.overlay = nil
                if case .bulk = kind { s.bulkTargets = nil }
                say(&s, "Cancelled")
            default: break
            }
            return []

        case .guardBlocked(let draft, _):
            switch key {
            case .char("o"):
                guard allowed(&s, .overrideGuard) else { return [] }
                s.overlay = .prompt(.overrideReason, text: "")
                s.pendingOverride = draft
            case .enter, .char("q"):
                s.overlay = nil
            default: break
            }
            return []
        }
    }

    static func choose(_ s: inout ConsoleState, _ kind: MenuKind, _ index: Int) -> [Effect] {
        switch kind {
        case .hideReason, .deleteReason:
            guard let ctx = s.selectedContext, ctx.reasons.indices.contains(index) else { return [] }
            let code = ctx.reasons[index].code
            if kind == .hideReason { return [.perform(.hide(message: ctx.detail.row.id, reasonCode: code))] }
            s.overlay = .confirm(.delete(messageID: ctx.detail.row.id, reasonCode: code),
                                 question: "Delete this message for good (\(code))? (y/n)")
            return []
        case .bulkHideReason:
            guard let ids = s.bulkTargets, let ctx = s.selectedContext, ctx.reasons.indices.contains(index) else { return [] }
            let code = ctx.reasons[index].code
            s.overlay = .confirm(.bulk(.hide(reasonCode: code), ids: ids), question: "Hide \(ids.count) tagged message\(ids.count == 1 ? "" : "s") (\(code))? (y/n)")
            return []
        case .snooze:
            let options = snoozeOptions(s)
            guard options.indices.contains(index) else { return [] }
            if let ids = s.bulkTargets {
                s.overlay = .confirm(.bulk(.snooze(until: options[index].until, label: options[index].label), ids: ids),
                                     question: "Snooze \(ids.count) tagged message\(ids.count == 1 ? "" : "s") (\(options[index].label))? (y/n)")
                return []
            }
            guard let row = s.selectedRow else { return [] }
            return [.perform(.snooze(message: row.id, until: options[index].until))]
        case .quitPending:
            switch index {
            case 0:
                let effects = s.pendingReplies.map { Effect.perform(.releaseReply(outbox: $0.outboxID)) }
                s.pendingReplies = []
                s.quitRequested = true
                return effects + [.quit]
            case 1:
                let effects = s.pendingReplies.map { Effect.perform(.cancelReply(outbox: $0.outboxID)) }
                s.pendingReplies = []
                s.quitRequested = true
                return effects + [.quit]
            default:
                return []
            }
        }
    }

    static func submit(_ s: inout ConsoleState, _ kind: PromptKind, _ raw: String) -> [Effect] {
        let text = raw.trimmingCharacters(in: .whitespaces)
        switch kind {
        case .search:
            return applyFilter(&s, text, reopen: .search)
        case .command:
            return commandLine(&s, text)
        case .freeReply:
            guard !text.isEmpty, let row = needRow(&s) else { return [] }
            return [.checkReply(ReplyDraft(messageID: row.id, text: text, templateID: nil, visibility: row.visibility))]
        case .note:
            guard !text.isEmpty, let row = needRow(&s) else { say(&s, "Empty note not saved"); return [] }
            return [.perform(.note(message: row.id, text: text))]
        case .escalateNote(let contact):
            guard let row = needRow(&s) else { return [] }
            return [.perform(.escalate(message: row.id, contact: contact, note: text.isEmpty ? nil : text))]
        case .overrideReason:
            guard var draft = s.pendingOverride else { return [] }
            s.pendingOverride = nil
            guard !text.isEmpty else { say(&s, "An override needs a reason; the reply was not queued", error: true); return [] }
            draft.override = text
            return [.checkReply(draft)]
        case .tagPattern:
            do {
                let pattern = try QueryParser(now: s.now, timeZone: s.timeZone).parse(text)
                return [.findMatching(queue: s.queue, query: s.query.and(pattern), limit: tagLimit)]
            } catch {
                say(&s, "Pattern: \(error.description)", error: true)
                s.overlay = .prompt(.tagPattern, text: raw)
                return []
            }
        }
    }

    static func applyFilter(_ s: inout ConsoleState, _ text: String, reopen: PromptKind) -> [Effect] {
        do {
            let q = try QueryParser(now: s.now, timeZone: s.timeZone).parse(text)
            s.query = q
            s.listLoaded = false
            s.bulkTargets = nil
            if !q.isEmpty { say(&s, "Filter: \(text)") } else if !text.isEmpty { say(&s, "Nothing to search for in '\(text)'") }
            return [.loadPage(firstPage(s))]
        } catch {
            say(&s, "Search: \(error.description)", error: true)
            s.overlay = .prompt(reopen, text: text)
            return []
        }
    }

    static func commandLine(_ s: inout ConsoleState, _ line: String) -> [Effect] {
        let parts = line.split(separator: " ", maxSplits: 1)
        guard let head = parts.first?.lowercased() else { return [] }
        let arg = parts.count > 1 ? String(parts[1]) : ""
        switch head {
        case _ where head == "queue" || (head == "q" && !arg.isEmpty):
            let want = arg.lowercased()
            guard let q = QueueID.allCases.first(where: { $0.rawValue == want || $0.title.lowercased() == want || $0.shortTitle.lowercased() == want }) else {
                say(&s, "No queue '\(arg)'; queues: \(QueueID.allCases.map(\.title).joined(separator: ", "))", error: true)
                return []
            }
            return switchQueue(&s, q)
        case "filter", "search":
            return applyFilter(&s, arg, reopen: .search)
        case "export":
            guard allowed(&s, .export) else { return [] }
            return [.export(queue: s.queue, query: s.query)]
        case "help":
            s.overlay = .help(scroll: 0)
            return []
        case "q", "quit":
            return quit(&s)
        default:
            say(&s, "Unknown command ':\(head)' (:queue NAME, :filter ..., :export, :help, :q)", error: true)
            return []
        }
    }

    // MARK: - Results

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

    // MARK: - Movement

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

    // MARK: - Helpers

    static func allowed(_ s: inout ConsoleState, _ p: Permission) -> Bool {
        if s.role.may(p) { return true }
        say(&s, "Your role (\(s.role.rawValue)) cannot \(p.phrase)", error: true)
        return false
    }

    static func needRow(_ s: inout ConsoleState) -> MessageRow? {
        if let r = s.selectedRow { return r }
        say(&s, "No message selected")
        return nil
    }

    static func needContext(_ s: inout ConsoleState) -> DetailContext? {
        guard needRow(&s) != nil else { return nil }
        if let c = s.selectedContext { return c }
        say(&s, "Still loading the message; try again")
        return nil
    }

    static func say(_ s: inout ConsoleState, _ text: String, error: Bool = false) {
        s.flash = Flash(text: text, isError: error, until: s.now.addingTimeInterval(flashSeconds))
    }
}

extension InboxQuery {
    /// Both queries at once (AND): used to tag what matches a pattern inside the current filter.
    public func and(_ o: InboxQuery) -> InboxQuery {
        var q = self
        q.terms += o.terms
        q.flags.include += o.flags.include; q.flags.exclude += o.flags.exclude
        q.platforms.include += o.platforms.include; q.platforms.exclude += o.platforms.exclude
        q.kinds.include += o.kinds.include; q.kinds.exclude += o.kinds.exclude
        q.authors.include += o.authors.include; q.authors.exclude += o.authors.exclude
        q.languages.include += o.languages.include; q.languages.exclude += o.languages.exclude
        q.states.include += o.states.include; q.states.exclude += o.states.exclude
        if let a = o.receivedAfter { q.receivedAfter = max(q.receivedAfter ?? a, a) }
        if let b = o.receivedBefore { q.receivedBefore = min(q.receivedBefore ?? b, b) }
        q.source = [source, o.source].filter { !$0.isEmpty }.joined(separator: " ")
        return q
    }
}
