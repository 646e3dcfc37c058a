import Foundation
import InboxModel

/// Keys while an overlay (menu, prompt, confirmation, help) is open, and what they submit.
extension Reducer {
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
            // `:export FOLDER` names the folder (once); `:export` alone writes there.
            return [.export(queue: s.queue, query: s.query, folder: arg.isEmpty ? nil : arg)]
        case "help":
            s.overlay = .help(scroll: 0)
            return []
        case "q", "quit":
            return quit(&s)
        default:
            say(&s, "Unknown command ':\(head)' (:queue NAME, :filter ..., :export [FOLDER], :help, :q)", error: true)
            return []
        }
    }
}
