import Foundation
import InboxModel
import Ingest
import IngestPipeline
import Logging
import Policy
import ServiceLifecycle
import Store

/// The classifier in force: the policy set published in the inbox, reloaded when a lead
/// publishes another (looked at every 30 s).
final class PoliciesInForce: @unchecked Sendable {
    private let inbox: InboxDatabase
    private let logger: Logger
    private let lock = NSLock()
    private var classify: Ingester.Classify?
    private var paging = OnCall()
    private(set) var version: String?
    private var fallback: URL?
    private var checkedAt = Date.distantPast

    init(inbox: InboxDatabase, logger: Logger) throws {
        self.inbox = inbox
        self.logger = logger
        try reload()
    }

    /// True when the set in use is the one a lead published (else the server runs on the
    /// installed Policies/ folder and `/readyz` says so).
    var published: Bool { lock.withLock { version != nil } }
    var description: String {
        lock.withLock { version.map { "published \($0)" } ?? "not published (using \(fallback?.path ?? "none"))" }
    }

    func current() -> Ingester.Classify? {
        if Date().timeIntervalSince(lock.withLock({ checkedAt })) > 30 {
            do { try reload() } catch { logger.error("cannot reload policies", metadata: ["error": .string("\(error)")]) }
        }
        return lock.withLock { classify }
    }

    /// organization.yml's on-call targets, from the same set (call `current()` first to notice
    /// a new publication).
    var onCall: OnCall { lock.withLock { paging } }

    private func reload() throws {
        let inForce = try inbox.policyVersionInForce()
        lock.withLock { checkedAt = Date() }
        if inForce != nil, inForce == lock.withLock({ version }) { return }
        if let (set, v) = try PublishedPolicySet.load(inbox) {
            lock.withLock { classify = IngestClassifier.make(set); version = v; paging = set.organization.onCall }
            logger.info("policies in force", metadata: ["version": .string(v)])
        } else if lock.withLock({ classify == nil }), let dir = PolicySet.defaultDirectory() {
            let set = try PolicySet.load(from: dir)
            lock.withLock { classify = IngestClassifier.make(set); fallback = dir; paging = set.organization.onCall }
            logger.warning("no policies published in the inbox; classifying with the installed folder", metadata: ["folder": .string(dir.path)])
        }
    }
}

/// Takes acknowledged webhook bodies from the spool and ingests them, a few hundred to a
/// transaction, as soon as they are committed. On shutdown it finishes what is waiting.
final class SpoolIngest: Service, @unchecked Sendable {
    private let inbox: InboxDatabase
    private let policies: PoliciesInForce
    private let metrics: ServerMetrics
    private let logger: Logger
    private let condition = NSCondition()
    private var wake = false
    static let sources = ["meta", "x"]

    init(inbox: InboxDatabase, policies: PoliciesInForce, metrics: ServerMetrics, logger: Logger) {
        self.inbox = inbox
        self.policies = policies
        self.metrics = metrics
        self.logger = logger
    }

    /// Called after each spool commit.
    func nudge() {
        condition.withLock {
            wake = true
            condition.signal()
        }
    }

    func run() async throws {
        let stop = StopFlag()
        let thread = Thread { [self] in loop(stop) }
        thread.name = "rounds.serve.ingest"
        thread.start()
        await withGracefulShutdownHandler {
            await stop.waitUntilStopped()
        } onGracefulShutdown: { [self] in
            stop.request()
            nudge()
        }
    }

    private func loop(_ stop: StopFlag) {
        var backoff = Backoff(cap: 30)
        var purgedAt = Date.distantPast
        while true {
            if Date().timeIntervalSince(purgedAt) > 3600 {
                // Pub/Sub redelivers for up to 7 days; a day more and its keys can go.
                purgedAt = Date()
                do { try inbox.purgeSpoolKeys(before: AuditEvent.nowMs() - 8 * 86_400_000) } catch {
                    logger.error("cannot purge old delivery keys", metadata: ["error": .string("\(error)")])
                }
            }
            condition.lock()
            if !wake { _ = condition.wait(until: Date().addingTimeInterval(0.5)) }
            wake = false
            condition.unlock()
            do {
                while try ingestSome() {}
                backoff.reset()
                let depth = try inbox.spoolDepth()
                let age = depth.oldestReceivedAt.map { Double(AuditEvent.nowMs() - $0) / 1000 } ?? 0
                metrics.spool(depth: depth.count, oldestAgeSeconds: age)
            } catch {
                let wait = backoff.next()
                logger.error("ingest from the spool failed; the bodies stay spooled", metadata: ["error": .string("\(error)"), "retry_in_s": .stringConvertible(Int(wait))])
                Thread.sleep(forTimeInterval: wait)
            }
            if stop.requested {
                // What was acknowledged is ingested before the process ends (best effort: a
                // failure leaves it spooled for the next start).
                try? { while try ingestSome() {} }()
                stop.finished()
                return
            }
        }
    }

    /// Ingests one batch; true if there may be more.
    private func ingestSome() throws -> Bool {
        var more = false
        for source in Self.sources {
            let bodies = try inbox.waitingSpool(source: source, limit: 200)
            guard !bodies.isEmpty else { continue }
            let live = LiveIngest(inbox: inbox, classify: policies.current())
            let (c, rejections) = try live.ingestSpooled(bodies) { $0.source == "meta" ? .meta : .auto }
            metrics.ingested(new: c.new, updated: c.updated, duplicates: c.duplicates, rejected: c.rejected, skipped: c.skipped)
            for r in rejections.prefix(20) { logger.warning("rejected record kept in the inbox", metadata: ["reason": .string(r)]) }
            logger.debug("ingested webhook bodies", metadata: ["bodies": .stringConvertible(bodies.count), "new": .stringConvertible(c.new)])
            if bodies.count == 200 { more = true }
        }
        return more
    }
}

/// A stop request from the async world to a thread, and the thread's answer.
final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var _requested = false
    private var done = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    var requested: Bool { lock.withLock { _requested } }
    func request() { lock.withLock { _requested = true } }

    func finished() {
        let w: [CheckedContinuation<Void, Never>] = lock.withLock {
            done = true
            defer { waiters = [] }
            return waiters
        }
        w.forEach { $0.resume() }
    }

    func waitUntilStopped() async {
        await withCheckedContinuation { c in
            let already = lock.withLock {
                if done { return true }
                waiters.append(c)
                return false
            }
            if already { c.resume() }
        }
    }
}
