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
            s.lastKeyAt = now
            return [.loadCounts, .loadPage(firstPage(s)), .pollDataVersion]

        case .terminalResized(let w, let h):
            s.width = w
            s.height = h
            clampScroll(&s)
            return []

        case .clockTicked(let now):
            return clockTicked(&s, now)

        case .countsLoaded(let c):
            s.counts = c
            return []

        case .connectionsLoaded(let c):
            s.connections = c
            return []

        case .failedDeliveriesCounted(let n):
            s.failedDeliveries = n
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
            // A lead may send past the guard, with the override recorded; anyone else sees why not.
            if violations.isEmpty || (draft.override != nil && s.role.may(.overrideGuard)) {
                return [.perform(.queueReply(message: draft.messageID, text: draft.text, templateID: draft.templateID,
                                             visibility: draft.visibility, override: draft.override))]
            }
            s.overlay = .guardBlocked(draft, violations: violations)
            return []

        case .commandFinished(let command, let result):
            return commandFinished(&s, command, result)

        case .bulkFinished(let ok, let refusals, let undoable):
            return bulkFinished(&s, ok: ok, refusals: refusals, undoable: undoable)

        case .taggedInViewResolved(let ids):
            return taggedInViewResolved(&s, ids)

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
            return keyPressed(&s, key)
        }
    }

    static func clockTicked(_ s: inout ConsoleState, _ now: Date) -> [Effect] {
        s.now = now
        var effects: [Effect] = []
        if !s.locked, s.idleLockSeconds > 0, now.timeIntervalSince(s.lastKeyAt ?? now) >= s.idleLockSeconds {
            s.locked = true
            s.overlay = nil
            s.fullDetail = false
            effects.append(.recordSession(.locked))
        }
        if let f = s.flash, f.until <= now { s.flash = nil }
        // Replies whose undo window is over are released to the outbox.
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
    }

    static func bulkFinished(_ s: inout ConsoleState, ok: Int, refusals: [String], undoable: [Int64]) -> [Effect] {
        s.undoStack += undoable.map(UndoEntry.action)
        s.bulkTargets = nil
        if refusals.isEmpty {
            say(&s, "Done for \(ok) tagged message\(ok == 1 ? "" : "s")")
        } else {
            say(&s, "\(ok) done, \(refusals.count) refused: \(refusals.first ?? "")", error: true)
        }
        return refresh(s)
    }

    /// `;`: the tagged messages the current view shows become the next action's targets.
    static func taggedInViewResolved(_ s: inout ConsoleState, _ ids: [Int64]) -> [Effect] {
        if ids.isEmpty {
            say(&s, "None of the \(s.tagged.count) tagged messages is in this view", error: true)
            return []
        }
        s.bulkTargets = ids
        say(&s, "; \(ids.count) tagged in view: press x done, c claim, h hide, z snooze (Esc cancels)")
        s.flash?.until = s.now.addingTimeInterval(60)
        return []
    }

    static func keyPressed(_ s: inout ConsoleState, _ key: KeyEvent) -> [Effect] {
        if key == .resize { return [] }
        s.lastKeyAt = s.now
        // The key that unlocks does nothing else: whoever walks up to the screen sees it first.
        if s.locked {
            s.locked = false
            return [.recordSession(.unlocked)]
        }
        if s.isTooSmall {
            if key == .char("q") || key == .ctrl("c") { return quit(&s) }
            return []
        }
        if key == .ctrl("c") {
            if s.overlay != nil { s.overlay = nil; s.pendingOverride = nil; return [] }
            return quit(&s)
        }
        if s.overlay != nil { return overlayKey(&s, key) }
        if s.fullDetail, scrollFullDetail(&s, key) { return [] }
        guard let command = s.keyMap.command(for: key) else {
            if key != .escape { say(&s, "\(key.name) is not bound; ? shows the keys") }
            return []
        }
        return run(&s, command)
    }

    /// Keys of the full-screen detail; false for a key it leaves to the key map. Scrolling
    /// stops at the last page of the detail (computed the way it is drawn).
    static func scrollFullDetail(_ s: inout ConsoleState, _ key: KeyEvent) -> Bool {
        let page = max(1, s.height - 4)
        let snapshot = s
        let maxScroll = { max(0, Renderer.detailLines(snapshot, width: snapshot.width).count - (snapshot.height - 3)) }
        switch key {
        case .escape, .enter, .char("q"): s.fullDetail = false; s.detailScroll = 0
        case .char("j"), .down: s.detailScroll = min(maxScroll(), s.detailScroll + 1)
        case .char("k"), .up: s.detailScroll = max(0, s.detailScroll - 1)
        case .char(" "), .pageDown: s.detailScroll = min(maxScroll(), s.detailScroll + page)
        case .pageUp: s.detailScroll = max(0, s.detailScroll - page)
        default: return false
        }
        return true
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
