import Foundation
import InboxModel

/// Runs the core against real collaborators: feeds actions to `Reducer.reduce`, carries out the
/// effects against the store and the policy, and feeds their results back as actions. Used by
/// the terminal run loop and, with in-memory doubles, by end-to-end tests of the core.
public final class ConsoleDriver {
    public private(set) var state: ConsoleState
    public let store: ConsoleStore
    public let policy: ConsolePolicy
    /// Writes the export for `:export [FOLDER]`; returns where it went (a path) or a refusal.
    public var exporter: ((QueueID, InboxQuery, String?) -> Result<String, Refusal>)?
    /// Set when an effect asks for a full redraw (Ctrl-L); the terminal clears it.
    public var redrawRequested = false
    public var quitRequested: Bool { state.quitRequested }

    public init(state: ConsoleState, store: ConsoleStore, policy: ConsolePolicy) {
        self.state = state
        self.store = store
        self.policy = policy
        self.state.organisation = policy.organisationName
        self.state.undoWindowSeconds = policy.undoWindowSeconds
    }

    /// Applies an action and everything that follows from it, synchronously.
    public func send(_ action: ConsoleAction) {
        var queue: [ConsoleAction] = [action]
        var guardCount = 0
        while !queue.isEmpty, guardCount < 10_000 {
            guardCount += 1
            let a = queue.removeFirst()
            let effects = Reducer.reduce(into: &state, a)
            for e in effects { queue += run(e) }
        }
    }

    /// Reloads the selected message's detail once the policies are in (see `.loadDetail`).
    public func policiesLoaded() {
        guard let id = state.selectedID else { return }
        for action in run(.loadDetail(id: id)) { send(action) }
    }

    /// Carries out one effect; returns the actions that report its result.
    func run(_ effect: Effect) -> [ConsoleAction] {
        let me = state.moderator
        do {
            switch effect {
            case .loadCounts:
                let counts = try store.queueCounts(moderator: me)
                // A server that cannot be read about never stops the queue from loading; an
                // unreadable failed count keeps the last one rather than showing none.
                return [.countsLoaded(counts), .connectionsLoaded((try? store.connectionStatuses()) ?? [])]
                    + ((try? store.failedDeliveryCount()).map { [.failedDeliveriesCounted($0)] } ?? [])
            case .loadPage(let r):
                let rows = try store.page(queue: r.queue, query: r.query, moderator: me, anchor: r.anchor, limit: r.limit)
                return [.pageLoaded(r, rows)] + (store.lastPageCutOff ? [.pageCutOff(found: rows.count)] : [])
            case .reloadWindow(let r):
                guard let c = r.around else {
                    let from = try store.page(queue: r.queue, query: r.query, moderator: me, anchor: .start, limit: r.limit)
                    return [.windowReloaded(r, before: [], from: from)] + (store.lastPageCutOff ? [.pageCutOff(found: from.count)] : [])
                }
                let before = try store.page(queue: r.queue, query: r.query, moderator: me, anchor: .before(c), limit: r.limit)
                let cutBefore = store.lastPageCutOff
                let from = try store.page(queue: r.queue, query: r.query, moderator: me, anchor: .from(c), limit: r.limit)
                let cut = cutBefore || store.lastPageCutOff
                return [.windowReloaded(r, before: before, from: from)] + (cut ? [.pageCutOff(found: before.count + from.count)] : [])
            case .loadDetail(let id):
                guard let d = try store.detail(id: id) else { return [.detailLoaded(nil, forID: id)] }
                // The first screen does not wait for the policies: its detail comes without
                // templates, and `policiesLoaded()` fills them in before the first key is read.
                guard policy.isLoaded else { return [.detailLoaded(DetailContext(detail: d), forID: id)] }
                let reasons = policy.removalReasons(for: d)
                let ctx = DetailContext(detail: d, templates: policy.templates(for: d), reasons: reasons.reasons,
                                        preselectedReason: min(max(0, reasons.preselected), max(0, reasons.reasons.count - 1)),
                                        escalationContact: policy.escalationContact(for: d))
                return [.detailLoaded(ctx, forID: id)]
            case .checkReply(let draft):
                guard let d = try store.detail(id: draft.messageID) else { return [.loadFailed("The message is gone")] }
                return [.replyChecked(draft, violations: policy.checkReply(draft.text, to: d, visibility: draft.visibility))]
            case .perform(let c):
                return [.commandFinished(c, store.perform(c, moderator: me))]
            case .performBulk(let commands):
                var ok = 0
                var refusals: [String] = []
                var undoable: [Int64] = []
                for c in commands {
                    switch store.perform(c, moderator: me) {
                    case .success(let r): ok += 1; if let a = r.undoableAction { undoable.append(a) }
                    case .failure(let f): refusals.append(f.message)
                    }
                }
                return [.bulkFinished(succeeded: ok, refusals: refusals, undoable: undoable)]
            case .resolveTaggedInView(let ids, let q, let query):
                return [.taggedInViewResolved(try store.filter(ids: ids, queue: q, query: query, moderator: me))]
            case .findMatching(let q, let query, let limit):
                return [.matchingFound(try store.ids(queue: q, query: query, moderator: me, limit: limit))]
            case .pollDataVersion:
                return [.dataVersionPolled(try store.dataVersion())]
            case .export(let q, let query, let folder):
                guard let exporter else { return [.exportFinished(.failure(Refusal("Export is not available here; use `rounds export`")))] }
                return [.exportFinished(exporter(q, query, folder))]
            case .recordSession(let event):
                store.recordSession(event, moderator: me)
                return []
            case .redraw:
                redrawRequested = true
                return []
            case .quit:
                return []
            }
        } catch {
            return [.loadFailed("Could not read the inbox: \(error)")]
        }
    }
}
