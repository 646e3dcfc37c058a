import Foundation
import InboxModel
import Logging
import ServiceLifecycle
import Store

/// Takes what moderators queued (replies, hides, unhides, deletes) once their undo window is
/// over and performs it on the platform: a few calls at once per connection, never the same
/// entry twice at once (the inbox leases each to one worker), each outcome committed with its
/// audit row. Graceful shutdown stops leasing and lets the calls in flight finish.
final class DeliveryWorker: Service, Sendable {
    let inbox: InboxDatabase
    let routes: DeliveryRoutes
    let http: PlatformHTTP
    let metrics: ServerMetrics
    let health: Health?
    let logger: Logger
    /// Calls in flight per page or account.
    let perAccount: Int
    /// First retry after about this many seconds, doubling.
    let retryBase: Double
    /// After this many attempts a delivery fails with its last reason, for a lead to decide.
    let maxAttempts: Int
    let owner = "serve-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    private let stopping = NudgeFlag()

    init(inbox: InboxDatabase, routes: DeliveryRoutes, http: PlatformHTTP, metrics: ServerMetrics, health: Health?, logger: Logger,
         perAccount: Int = 4, retryBase: Double = 5, maxAttempts: Int = 10) {
        self.inbox = inbox
        self.routes = routes
        self.http = http
        self.metrics = metrics
        self.health = health
        self.logger = logger
        self.perAccount = max(1, perAccount)
        self.retryBase = retryBase
        self.maxAttempts = maxAttempts
    }

    /// Publishes the accounts and takes over what a dead worker left in flight. Call once, with
    /// the inbox's server lock held (no other worker can be running).
    func prepare() throws {
        try inbox.publishDeliveryAccounts(routes.accounts)
        let recovered = try inbox.recoverInterruptedDeliveries()
        if recovered > 0 {
            logger.warning("deliveries interrupted by a stop; each is looked for on the platform before it is sent again",
                           metadata: ["count": .stringConvertible(recovered)])
        }
    }

    func run() async throws {
        await withGracefulShutdownHandler {
            await work(once: false)
        } onGracefulShutdown: { [stopping] in
            stopping.set()
        }
    }

    /// Delivers until stopped; with `once`, until nothing is due now. Returns the number of
    /// attempts made.
    @discardableResult
    func work(once: Bool) async -> Int {
        var attempts = 0
        await withTaskGroup(of: String?.self) { group in
            var inFlight: [String: Int] = [:]
            var ticking = false
            var mayHaveMore = true
            while true {
                let stop = stopping.peek() || Task.isCancelled
                if !stop, mayHaveMore {
                    // Only what can start now is leased (per connection), so a kill leaves in
                    // `sending` only calls that were really under way.
                    let want = perAccount * 4, owner = self.owner, per = perAccount, busy = inFlight.filter { $0.value > 0 }
                    let leased = (try? await blocking { [inbox] in
                        try inbox.leaseDeliveries(owner: owner, limit: want, perConnection: per, busy: busy)
                    }) ?? []
                    for d in leased {
                        let key = d.account ?? d.target.platform.rawValue
                        inFlight[key, default: 0] += 1
                        attempts += 1
                        group.addTask { await self.deliver(d); return key }
                    }
                    mayHaveMore = leased.count == want
                }
                let busy = inFlight.values.contains { $0 > 0 }
                if !busy && (stop || (once && !mayHaveMore)) { break }
                if !ticking && !(once && !busy) {
                    ticking = true
                    group.addTask { try? await Task.sleep(nanoseconds: 200_000_000); return nil }
                }
                guard let done = await group.next() else { continue }
                if let key = done {
                    inFlight[key, default: 1] -= 1
                } else {
                    ticking = false
                }
                mayHaveMore = true
            }
            group.cancelAll()
        }
        return attempts
    }

    /// One attempt: look for an earlier one first if it may have got through, then send.
    func deliver(_ d: Delivery) async {
        let started = Date()
        var outcome = await attempt(d)
        if case let .retry(_, reason, code, _) = outcome, d.attempt >= maxAttempts {
            outcome = .failed(reason: "gave up after \(d.attempt) attempts: \(reason)", code: code)
        }
        let final = outcome
        let owner = self.owner
        let account = routes.account(for: d)
        for _ in 0..<5 {
            do {
                try await blocking { [inbox] in _ = try inbox.finishDelivery(d.id, owner: owner, outcome: final, account: account) }
                break
            } catch {
                // The entry stays leased; if this keeps failing, the lease runs out and the next
                // attempt looks for this one on the platform first.
                logger.error("cannot record a delivery's outcome", metadata: ["outbox": .stringConvertible(d.id), "error": .string("\(error)")])
                try? await Task.sleep(nanoseconds: 200_000_000)
            }
        }
        let connection = DeliveryRoutes.connectionName(d.target.platform)
        let result: String
        switch final {
        case .sent:
            result = "sent"
            health?.succeeded(connection)
        case let .retry(_, reason, _, _):
            result = "retrying"
            if reason.contains("rate limited") || reason.contains("quota") { metrics.rateLimitWait(d.target.platform.rawValue, seconds: 0) }
        case .failed: result = "failed"
        case let .paused(reason, _):
            result = "paused"
            health?.failed(connection, .reconnect, detail: reason)
        }
        metrics.delivery(platform: d.target.platform.rawValue, action: d.action, result: result, seconds: Date().timeIntervalSince(started))
        logger.info("delivery \(result)", metadata: ["outbox": .stringConvertible(d.id), "message": .stringConvertible(d.messageID),
                                                     "platform": .string(d.target.platform.rawValue), "action": .string(d.action),
                                                     "attempt": .stringConvertible(d.attempt), "outcome": .string(Self.describe(final))])
    }

    private func attempt(_ d: Delivery) async -> DeliveryOutcome {
        let now = Date()
        let retryLater = { (reason: String, uncertain: Bool) -> DeliveryOutcome in
            .retry(at: Int64((now.timeIntervalSince1970 + DeliveryVerdict.backoff(attempt: d.attempt, base: self.retryBase)) * 1000),
                   reason: reason, code: nil, uncertain: uncertain)
        }
        do {
            if d.reconcile {
                guard let lookup = try await routes.lookup(d) else {
                    // A reply the platform gives no way to look for (a private reply to a comment)
                    // is never sent twice on a guess: a lead decides (retry sends it again).
                    if d.action == "reply" { return .failed(reason: Self.unverified, code: Self.unverifiedCode) }
                    return try await send(d, now: now)
                }
                let r = try await http.send(lookup.method, lookup.url, headers: lookup.headers, body: lookup.body)
                guard (200..<300).contains(r.status) else {
                    // Cannot tell whether it got through: never send blind, try the lookup again.
                    return retryLater("could not check the platform for an earlier attempt (\(r.status))", true)
                }
                if let ref = routes.found(d, in: r) { return .sent(ref: ref) }
            }
            return try await send(d, now: now)
        } catch let e as OAuthToken.Failure {
            if case .revoked = e { return .paused(reason: e.description, code: nil) }
            return retryLater(e.description, false)
        } catch {
            // A timeout or a reset: the platform may have acted and the answer been lost. Look
            // no sooner than twice the call's deadline, when the platform has finished with it.
            let uncertain = d.action == "reply"
            var later = retryLater(DeliveryVerdict.clean("no answer: \(error)"), uncertain)
            if uncertain, case let .retry(at, reason, code, _) = later {
                later = .retry(at: max(at, Int64((now.timeIntervalSince1970 + 2 * http.timeoutSeconds) * 1000)), reason: reason, code: code, uncertain: true)
            }
            return later
        }
    }

    static let unverified = "interrupted, and the platform gives no way to check whether it arrived; send it again only if the person did not get it"
    static let unverifiedCode = "unverified"

    private func send(_ d: Delivery, now: Date) async throws -> DeliveryOutcome {
        switch try await routes.call(d, now: now) {
        case let .failure(refused):
            return .failed(reason: refused.description, code: nil)
        case let .success(call):
            let r = try await http.send(call.method, call.url, headers: call.headers, body: call.body)
            return DeliveryVerdict.outcome(d, r, now: Date(), retryBase: retryBase)
        }
    }

    static func describe(_ o: DeliveryOutcome) -> String {
        switch o {
        case let .sent(ref): "sent" + (ref.map { " \($0)" } ?? "")
        case let .retry(_, reason, code, _): "retrying: \(reason)" + (code.map { " (\($0))" } ?? "")
        case let .failed(reason, code): "failed: \(reason)" + (code.map { " (\($0))" } ?? "")
        case let .paused(reason, _): "paused: \(reason)"
        }
    }
}
