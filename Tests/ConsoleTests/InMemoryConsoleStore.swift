import Foundation
import InboxModel
@testable import Console

/// A `ConsoleStore` over an array, for tests: same ordering and queue rules the SQLite store
/// documents (priority, then newest first, then id descending).
final class InMemoryConsoleStore: ConsoleStore {
    struct Item {
        var detail: MessageDetail
        var snoozedUntil: Date?
        var tags: Set<String> = []
    }
    var items: [Item] = []
    var version: Int64 = 1
    var performed: [ModeratorCommand] = []
    var outbox: [Int64: (message: Int64, text: String, state: String)] = [:]
    var nextOutbox: Int64 = 100
    var nextAction: Int64 = 1000
    var undoLog: [Int64: (id: Int64, previous: MessageState, claimedBy: String?)] = [:]
    /// Pages return at most this many rows and report a cut-off when they stop there early
    /// (the SQLite store's time limit, made deterministic).
    var cutOffAfter: Int?
    private(set) var lastPageCutOff = false
    /// Largest `limit` any page request asked for: proves the console never loads a whole queue.
    var largestPage = 0
    var pageCalls = 0
    var refuseNext: String?

    init(_ details: [MessageDetail] = []) { items = details.map { Item(detail: $0) } }

    func add(_ d: MessageDetail) { items.append(Item(detail: d)); version += 1 }

    func inQueue(_ i: Item, _ q: QueueID, _ me: String) -> Bool {
        let r = i.detail.row
        switch q {
        case .all: return true
        case .done: return r.state == .done || r.state == .hidden || r.state == .deleted
        case .snoozed: return r.state == .snoozed
        case .mine: return r.state == .open && r.claimedBy == me
        default: return r.state == .open && r.lane == q.lane
        }
    }

    func matches(_ i: Item, _ q: InboxQuery) -> Bool {
        let r = i.detail.row
        let text = i.detail.text.lowercased()
        for t in q.terms {
            let has = text.contains(t.text.lowercased())
            if has == t.negated { return false }
        }
        func ok<T>(_ f: FieldFilter<T>, _ v: T) -> Bool {
            (f.include.isEmpty || f.include.contains(v)) && !f.exclude.contains(v)
        }
        guard ok(q.platforms, r.platform), ok(q.kinds, r.kind), ok(q.states, r.state),
              ok(q.authors, r.authorHandle.lowercased()), ok(q.languages, i.detail.language) else { return false }
        if !q.flags.include.isEmpty && !q.flags.include.contains(where: { r.flags[$0] != nil }) { return false }
        if q.flags.exclude.contains(where: { r.flags[$0] != nil }) { return false }
        if let a = q.receivedAfter, r.receivedAt < a { return false }
        if let b = q.receivedBefore, r.receivedAt >= b { return false }
        return true
    }

    static func precedes(_ a: ListCursor, _ b: ListCursor) -> Bool {
        if a.priority != b.priority { return a.priority < b.priority }
        if a.receivedAt != b.receivedAt { return a.receivedAt > b.receivedAt }
        return a.id > b.id
    }

    func ordered(_ q: QueueID, _ query: InboxQuery, _ me: String) -> [MessageRow] {
        items.filter { inQueue($0, q, me) && matches($0, query) }.map(\.detail.row)
            .sorted { Self.precedes($0.cursor, $1.cursor) }
    }

    func queueCounts(moderator: String) throws -> QueueCounts {
        var c: QueueCounts = [:]
        for q in QueueID.allCases { c[q] = items.filter { inQueue($0, q, moderator) }.count }
        return c
    }

    func page(queue: QueueID, query: InboxQuery, moderator: String, anchor: PageAnchor, limit: Int) throws -> [MessageRow] {
        largestPage = max(largestPage, limit)
        pageCalls += 1
        var rows = ordered(queue, query, moderator)
        lastPageCutOff = cutOffAfter.map { rows.count > $0 && limit > $0 } ?? false
        if lastPageCutOff, let n = cutOffAfter { rows = Array(rows.prefix(n)) }
        switch anchor {
        case .start: return Array(rows.prefix(limit))
        case .end: return Array(rows.suffix(limit))
        case .after(let c): return Array(rows.filter { Self.precedes(c, $0.cursor) }.prefix(limit))
        case .before(let c): return Array(rows.filter { Self.precedes($0.cursor, c) }.suffix(limit))
        case .from(let c): return Array(rows.filter { !Self.precedes($0.cursor, c) }.prefix(limit))
        }
    }

    func filter(ids: [Int64], queue: QueueID, query: InboxQuery, moderator: String) throws -> [Int64] {
        let visible = Set(ordered(queue, query, moderator).map(\.id))
        return ids.filter(visible.contains)
    }

    func ids(queue: QueueID, query: InboxQuery, moderator: String, limit: Int) throws -> [Int64] {
        Array(ordered(queue, query, moderator).prefix(limit).map(\.id))
    }

    func detail(id: Int64) throws -> MessageDetail? { items.first { $0.detail.row.id == id }?.detail }

    private func index(_ id: Int64) -> Int? { items.firstIndex { $0.detail.row.id == id } }

    private func change(_ id: Int64, _ summary: String, _ body: (inout MessageRow) -> Void) -> Result<CommandReceipt, Refusal> {
        guard let i = index(id) else { return .failure(Refusal("No such message")) }
        let before = items[i].detail.row
        body(&items[i].detail.row)
        nextAction += 1
        undoLog[nextAction] = (id, before.state, before.claimedBy)
        version += 1
        return .success(CommandReceipt(summary: summary, undoableAction: nextAction))
    }

    func perform(_ command: ModeratorCommand, moderator: String) -> Result<CommandReceipt, Refusal> {
        performed.append(command)
        if let r = refuseNext { refuseNext = nil; return .failure(Refusal(r)) }
        switch command {
        case .queueReply(let m, let text, _, _, _):
            nextOutbox += 1
            outbox[nextOutbox] = (m, text, "pending")
            version += 1
            return .success(CommandReceipt(summary: "Reply queued", outboxID: nextOutbox))
        case .cancelReply(let o):
            outbox[o]?.state = "cancelled"; version += 1
            return .success(CommandReceipt(summary: "Reply cancelled"))
        case .releaseReply(let o):
            outbox[o]?.state = "ready"; version += 1
            return .success(CommandReceipt(summary: "Reply released"))
        case .hide(let id, let code): return change(id, "Hidden (\(code))") { $0.state = .hidden }
        case .delete(let id, let code): return change(id, "Deleted (\(code))") { $0.state = .deleted }
        case .escalate(let id, let contact, _): return change(id, "Escalated to \(contact)") { _ in }
        case .markDone(let id): return change(id, "Done") { $0.state = .done }
        case .claim(let id):
            if let i = index(id), let c = items[i].detail.row.claimedBy, c != moderator { return .failure(Refusal("Already claimed by \(c)")) }
            return change(id, "Claimed") { $0.claimedBy = moderator }
        case .unclaim(let id): return change(id, "Released") { $0.claimedBy = nil }
        case .snooze(let id, _): return change(id, "Snoozed") { $0.state = .snoozed }
        case .note(let id, let text):
            guard let i = index(id) else { return .failure(Refusal("No such message")) }
            items[i].detail.notes.append(text); version += 1
            return .success(CommandReceipt(summary: "Note saved"))
        case .undo(let a):
            guard let u = undoLog.removeValue(forKey: a), let i = index(u.id) else { return .failure(Refusal("Nothing to undo")) }
            items[i].detail.row.state = u.previous
            items[i].detail.row.claimedBy = u.claimedBy
            version += 1
            return .success(CommandReceipt(summary: "Undone"))
        case .retryDelivery(let o):
            return changeDelivery(o, "Reply will be sent again") { $0.state = .ready; $0.nextAttemptAt = nil; $0.lastError = nil; $0.errorCode = nil }
        case .cancelDelivery(let o):
            return changeDelivery(o, "Reply cancelled: it will not be sent") { $0.state = .cancelled; $0.lastError = "by \(moderator) (lead)" }
        }
    }

    /// Changes the outbox entry `o` of whichever message holds it (the detail's deliveries).
    private func changeDelivery(_ o: Int64, _ summary: String, _ body: (inout DeliveryStatus) -> Void) -> Result<CommandReceipt, Refusal> {
        for i in items.indices {
            if let j = items[i].detail.deliveries.firstIndex(where: { $0.outboxID == o }) {
                body(&items[i].detail.deliveries[j])
                version += 1
                return .success(CommandReceipt(summary: summary))
            }
        }
        return .failure(Refusal("That delivery is not in the outbox."))
    }

    func failedDeliveryCount() throws -> Int {
        items.reduce(0) { $0 + $1.detail.deliveries.filter { $0.state == .failed }.count }
    }

    func dataVersion() throws -> Int64 { version }

    private(set) var sessionEvents: [SessionEvent] = []
    func recordSession(_ event: SessionEvent, moderator: String) { sessionEvents.append(event) }
}

/// A `ConsolePolicy` with fixed answers, for tests.
final class FixedPolicy: ConsolePolicy {
    var organisationName = "Mercy General"
    var undoWindowSeconds = 10
    /// False plays policies still loading while the first screen is drawn.
    var isLoaded = true
    var blockedWords: [String] = ["your visit", "your chart"]

    func templates(for message: MessageDetail) -> [RenderedReply] {
        switch message.row.lane {
        case .urgent:
            return [RenderedReply(templateID: "crisis_988", title: "Crisis line", text: "Please call or text 988 now.", recommended: true),
                    RenderedReply(templateID: "emergency_911", title: "Call 911", text: "If this is an emergency call 911.")]
        case .offensive:
            return []
        default:
            return [RenderedReply(templateID: "thanks", title: "Thanks", text: "Thank you from Mercy General.", recommended: true),
                    RenderedReply(templateID: "contact", title: "Contact us", text: "Please call 555-0100.")]
        }
    }

    func removalReasons(for message: MessageDetail) -> (reasons: [RemovalReason], preselected: Int) {
        let reasons = [RemovalReason(code: "personal_attack", label: "Personal attack"),
                       RemovalReason(code: "profanity", label: "Profanity"),
                       RemovalReason(code: "spam", label: "Spam"),
                       RemovalReason(code: "phi", label: "Personal health information")]
        if message.row.flags[.spam] != nil { return (reasons, 2) }
        if message.row.flags[.phiExposure] != nil { return (reasons, 3) }
        if message.row.flags[.offensive] != nil { return (reasons, 1) }
        return (reasons, 0)
    }

    func escalationContact(for message: MessageDetail) -> String {
        message.row.flags[.emergency] != nil ? "On-call nurse" : "Patient relations"
    }

    func checkReply(_ text: String, to message: MessageDetail, visibility: Visibility) -> [GuardViolation] {
        var v: [GuardViolation] = []
        for w in blockedWords where text.lowercased().contains(w) {
            v.append(GuardViolation(code: "confirms_relationship", message: "confirms the author is a patient: '\(w)'"))
        }
        if message.row.platform == .x && text.count > 280 {
            v.append(GuardViolation(code: "length", message: "longer than X allows (280 characters)"))
        }
        return v
    }
}
