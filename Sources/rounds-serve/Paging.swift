import Connections
import Foundation
import InboxModel
import Logging
import Policy
import ServiceLifecycle
import Store

/// Pages the on-call targets about emergencies nobody has taken, and tells them when someone
/// does. Every `interval` seconds: each due message to each target that has not had it
/// (`InboxDatabase.messagesToPage`), then each resolve (`pagesToResolve`). organization.yml
/// names the targets and the delay; the connections file says how to reach them.
///
/// A send is recorded after the target took it, so a crash in between sends it again after
/// the restart: PagerDuty folds the repeat into the same incident (one dedup key per message),
/// a chat channel sees the message twice. Never the other way round: a page is never lost.
final class Paging: Service, Sendable {
    static let name = "Paging"
    let targets: [Connections.PagingTarget]
    let ctx: PollContext
    let interval: Double

    init(_ targets: [Connections.PagingTarget], ctx: PollContext, interval: Double) {
        self.targets = targets
        self.ctx = ctx
        self.interval = interval
    }

    /// A target that failed waits, whatever the message: its trouble is its own.
    struct Waiting {
        var backoff = Backoff()
        var until = Date.distantPast
        var problem = ""
    }

    /// How one target's turn in a round went.
    struct Turn: Sendable {
        var target: String
        var failure: String?
        var resolved: [Int64] = []
    }

    func run() async throws {
        let inbox = ctx.inbox
        // A service that returns ends the whole server: keep trying instead.
        var keyPrefix: String?
        while keyPrefix == nil {
            do { keyPrefix = try await blocking { try inbox.pagingKeyPrefix() } } catch {
                ctx.logger.error("paging waits: cannot read the inbox's id", metadata: ["error": .string("\(error)")])
                do { try await cancellableSleep(30) } catch { return }
            }
        }
        guard let keyPrefix else { return }
        var waiting: [String: Waiting] = [:]
        var resolvedTo: [Int64: Set<String>] = [:]
        while !Task.isShuttingDownGracefully {
            await round(keyPrefix: keyPrefix, waiting: &waiting, resolvedTo: &resolvedTo)
            do { try await cancellableSleep(interval) } catch { return }
        }
    }

    /// One look at the inbox and the sends it calls for.
    func round(keyPrefix: String, waiting: inout [String: Waiting], resolvedTo: inout [Int64: Set<String>]) async {
        _ = ctx.policies.current()  // notices a set published since the last look
        let onCall = ctx.policies.onCall
        let (usable, problems) = Self.match(onCall, targets)
        let inbox = ctx.inbox
        let now = AuditEvent.nowMs()
        let due: [PageCandidate], over: [PageResolution]
        do {
            (due, over) = try await blocking {
                (try inbox.messagesToPage(now: now, pageAfterMs: Int64(onCall.pageAfterMinutes * 60_000)), try inbox.pagesToResolve(now: now))
            }
        } catch {
            ctx.health.failed(Self.name, .error, detail: String("cannot read the inbox: \(error)".prefix(120)))
            return
        }
        // Each target whose wait is over, with the wait it gets if it fails again (a success
        // forgets it): so a failure's audit row can say when the next attempt is.
        var next: [String: Waiting] = [:]
        for t in usable where (waiting[t.name]?.until ?? .distantPast) <= Date() {
            var w = waiting[t.name] ?? Waiting()
            w.until = Date().addingTimeInterval(max(interval, w.backoff.next()))
            next[t.name] = w
        }
        let ready = usable.compactMap { t in next[t.name].map { (t, $0.until) } }
        let done = resolvedTo
        let turns = await withTaskGroup(of: Turn.self) { group in
            for (target, retry) in ready {
                group.addTask { await self.turn(target, due: due, over: over, alreadyResolved: done, keyPrefix: keyPrefix, retryAt: retry) }
            }
            var all: [Turn] = []
            for await t in group { all.append(t) }
            return all
        }
        for t in turns {
            for id in t.resolved { resolvedTo[id, default: []].insert(t.target) }
            if let failure = t.failure {
                waiting[t.target] = next[t.target]
                waiting[t.target]?.problem = failure
            } else {
                waiting[t.target] = nil
            }
        }
        waiting = waiting.filter { name, _ in usable.contains { $0.name == name } }
        // A page is over once every target told about it that is still on call has heard.
        let onCallNames = Set(usable.map(\.name))
        for r in over {
            let owed = r.page.told.filter(onCallNames.contains)
            guard owed.allSatisfy({ resolvedTo[r.page.messageID, default: []].contains($0) }) else { continue }
            do {
                _ = try await blocking { try inbox.recordPageResolved(r, told: owed) }
                resolvedTo[r.page.messageID] = nil
            } catch {
                ctx.logger.error("cannot record a resolved page", metadata: ["message": .stringConvertible(r.page.messageID),
                                                                             "error": .string("\(error)")])
            }
        }
        resolvedTo = resolvedTo.filter { id, _ in over.contains { $0.page.messageID == id } }
        // Until every failing target has taken its pages, Paging shows the trouble.
        let failing = waiting.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value.problem)" }
        if let problem = (problems + failing).first {
            ctx.health.failed(Self.name, .error, detail: String(problem.prefix(160)), until: waiting.values.map(\.until).min())
        } else {
            ctx.health.succeeded(Self.name)
        }
    }

    /// The sends one target owes: triggers, then resolves. Stops at its first failure.
    func turn(_ target: Connections.PagingTarget, due: [PageCandidate], over: [PageResolution], alreadyResolved: [Int64: Set<String>],
              keyPrefix: String, retryAt: Date) async -> Turn {
        var turn = Turn(target: target.name)
        let inbox = ctx.inbox
        for page in due where !page.told.contains(target.name) {
            let now = AuditEvent.nowMs()
            if let failure = await send(target, "trigger", PagePayloads.trigger(target, page, keyPrefix: keyPrefix, now: now), message: page.messageID,
                                         retryAt: retryAt) {
                turn.failure = failure
                return turn
            }
            do { try await blocking { try inbox.recordPageSent(page, target: target.name, kind: target.kind.rawValue, now: now) } } catch {
                ctx.logger.error("page sent but not recorded: it may be sent again", metadata: [
                    "message": .stringConvertible(page.messageID), "target": .string(target.name), "error": .string("\(error)")])
            }
        }
        for r in over where r.page.told.contains(target.name) && !(alreadyResolved[r.page.messageID]?.contains(target.name) ?? false) {
            let body = PagePayloads.resolve(target, r, keyPrefix: keyPrefix, now: AuditEvent.nowMs())
            if let failure = await send(target, "resolve", body, message: r.page.messageID, retryAt: retryAt) {
                turn.failure = failure
                return turn
            }
            turn.resolved.append(r.page.messageID)
        }
        return turn
    }

    /// One call to a target; nil when it took it, else what went wrong (audited, logged).
    func send(_ target: Connections.PagingTarget, _ event: String, _ body: Data, message: Int64, retryAt: Date) async -> String? {
        let problem: String?
        do {
            let r = try await ctx.http.send(.POST, target.endpoint(), headers: [("Content-Type", "application/json")], body: body)
            problem = (200..<300).contains(r.status) ? nil : "HTTP \(r.status)" + (r.status == 429 ? " (rate limited)" : "")
        } catch {
            // The network stack's words stay in the log (scrubbed of secrets); the audit says ours.
            ctx.logger.warning("page not delivered", metadata: ["target": .string(target.name), "error": .string(String("\(error)".prefix(160)))])
            problem = "no answer (timeout or network error)"
        }
        ctx.metrics.page(kind: target.kind.rawValue, event: event, result: problem == nil ? "sent" : "failed")
        guard let problem else {
            ctx.logger.notice(event == "trigger" ? "page sent" : "page resolved",
                              metadata: ["target": .string(target.name), "kind": .string(target.kind.rawValue), "message": .stringConvertible(message)])
            return nil
        }
        ctx.logger.warning("page refused", metadata: ["target": .string(target.name), "event": .string(event), "problem": .string(problem)])
        let inbox = ctx.inbox
        let retryMs = Int64(retryAt.timeIntervalSince1970 * 1000)
        do {
            try await blocking {
                try inbox.recordPageFailed(messageID: message, target: target.name, kind: target.kind.rawValue, event: event == "trigger" ? "page" : "resolve",
                                           problem: problem, retryAt: retryMs)
            }
        } catch {
            ctx.logger.error("cannot record a failed page", metadata: ["error": .string("\(error)")])
        }
        return problem
    }

    /// organization.yml's on-call names, matched with the connections file's targets; what does
    /// not match is a problem to show (`/readyz`, the console's status line), not a stop.
    static func match(_ onCall: OnCall, _ targets: [Connections.PagingTarget]) -> (usable: [Connections.PagingTarget], problems: [String]) {
        if onCall.targets.isEmpty { return ([], ["organization.yml names no on_call targets: nobody is paged"]) }
        var usable: [Connections.PagingTarget] = []
        var problems: [String] = []
        for want in onCall.targets {
            guard let t = targets.first(where: { $0.name == want.name }) else {
                problems.append("on_call '\(want.name)' is not in the connections file's paging.targets")
                continue
            }
            guard t.kind.rawValue == want.kind else {
                problems.append("on_call '\(want.name)' is \(want.kind) in organization.yml, \(t.kind.rawValue) in the connections file")
                continue
            }
            usable.append(t)
        }
        return (usable, problems)
    }
}
