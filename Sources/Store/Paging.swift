import Foundation
import GRDB

/// An emergency the on-call targets are to hear about. Nothing of what the person wrote, nor
/// who they are: a page leaves the inbox for Slack, Teams or PagerDuty.
public struct PageCandidate: Sendable, Equatable {
    public var messageID: Int64
    public var platform: String
    public var lane: String
    /// ms
    public var receivedAt: Int64
    /// unclaimed | escalated
    public var reason: String
    /// The moderator who escalated (reason `escalated`).
    public var escalatedBy: String?
    /// Targets already told, by name (a `page` row exists once one was).
    public var told: [String]

    public init(messageID: Int64, platform: String, lane: String, receivedAt: Int64, reason: String, escalatedBy: String?, told: [String]) {
        self.messageID = messageID; self.platform = platform; self.lane = lane; self.receivedAt = receivedAt
        self.reason = reason; self.escalatedBy = escalatedBy; self.told = told
    }

    /// Whole minutes since the message arrived.
    public func ageMinutes(now: Int64) -> Int { Int(max(0, now - receivedAt) / 60_000) }
}

/// A page whose message has since been taken: its targets are to be told.
public struct PageResolution: Sendable, Equatable {
    public var page: PageCandidate
    /// "claimed by alice", "replied by bob", "marked done"
    public var takenBecause: String
}

/// Paging the on-call targets (`rounds serve`, `Paging.swift` there): which emergencies are
/// due, which pages are over, and the record of each. One `page` row per message, written with
/// the first target that took the page and its audit row: a restart never pages again.
extension InboxDatabase {
    /// How far back paging looks: an inbox first served with paging on does not page the
    /// emergencies of last month.
    public static let pagingHorizonMs: Int64 = 24 * 3_600_000

    /// "rounds-<inbox id>": PagerDuty's dedup key is this and the message number, so repeats
    /// (a crash between a send and its record) fold into one incident. The id is made once,
    /// at random, and kept in the inbox (a copy of the inbox keeps it too).
    public func pagingKeyPrefix() throws -> String {
        try pool.write { db in
            let fresh = String(format: "%016llx", UInt64.random(in: 1...UInt64.max))
            try db.execute(sql: "INSERT OR IGNORE INTO setting (key, value) VALUES ('inbox_id', ?)", arguments: [fresh])
            return "rounds-" + (try String.fetchOne(db, sql: "SELECT value FROM setting WHERE key = 'inbox_id'") ?? fresh)
        }
    }

    /// Emergencies some target has still to hear about: imminent emergencies at `act`, open
    /// and untaken `pageAfterMs` after they arrived, and Urgent messages a moderator escalated
    /// and nobody has answered yet. At most a day old (`pagingHorizonMs`); never a message
    /// whose page was resolved. Oldest first.
    public func messagesToPage(now: Int64, pageAfterMs: Int64) throws -> [PageCandidate] {
        let since = now - Self.pagingHorizonMs
        return try pool.read { db in
            var found: [Int64: PageCandidate] = [:]
            var order: [Int64] = []
            // Escalations first: a message both escalated and overdue pages as escalated.
            for r in try Row.fetchAll(db, sql: """
                SELECT m.id, m.platform, m.lane, m.received_at, m.state, m.claimed_by, m.claim_expires_at,
                       p.reason AS page_reason, p.paged_by, p.targets, \(Self.replierSQL) AS replier,
                       a.moderator AS escalator
                FROM action a JOIN message m ON m.id = a.message_id LEFT JOIN page p ON p.message_id = m.id
                WHERE a.at >= ?1 AND a.action = 'escalate' AND m.lane = 'urgent' AND m.state = 'open' AND p.resolved_at IS NULL
                ORDER BY a.id
                """, arguments: [since]) where found[r["id"]] == nil {
                let c = Self.candidate(r, reason: "escalated", escalatedBy: r["escalator"])
                if Self.takenBecause(c, r, now: now) == nil { found[c.messageID] = c; order.append(c.messageID) }
            }
            for r in try Row.fetchAll(db, sql: """
                SELECT m.id, m.platform, m.lane, m.received_at, m.state, m.claimed_by, m.claim_expires_at,
                       p.reason AS page_reason, p.paged_by, p.targets, \(Self.replierSQL) AS replier
                FROM message m LEFT JOIN page p ON p.message_id = m.id
                WHERE m.lane = 'urgent' AND m.state = 'open' AND m.priority = 0 AND m.received_at BETWEEN ?1 AND ?2
                  AND p.resolved_at IS NULL
                  AND EXISTS (SELECT 1 FROM message_flag f WHERE f.message_id = m.id AND f.flag = 'emergency'
                              AND f.decision = 'act' AND f.severity = 'imminent')
                """, arguments: [since, now - pageAfterMs]) where found[r["id"]] == nil {
                let c = Self.candidate(r, reason: "unclaimed", escalatedBy: nil)
                if Self.takenBecause(c, r, now: now) == nil { found[c.messageID] = c; order.append(c.messageID) }
            }
            return order.compactMap { found[$0] }.sorted { ($0.receivedAt, $0.messageID) < ($1.receivedAt, $1.messageID) }
        }
    }

    /// Pages not yet resolved whose message has been taken since.
    public func pagesToResolve(now: Int64) throws -> [PageResolution] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT m.id, m.platform, m.lane, m.received_at, m.state, m.claimed_by, m.claim_expires_at,
                       p.reason AS page_reason, p.paged_by, p.targets, \(Self.replierSQL) AS replier
                FROM page p JOIN message m ON m.id = p.message_id
                WHERE p.resolved_at IS NULL ORDER BY p.paged_at, p.message_id
                """).compactMap { r in
                let c = Self.candidate(r, reason: "unclaimed", escalatedBy: nil)
                return Self.takenBecause(c, r, now: now).map { PageResolution(page: c, takenBecause: $0) }
            }
        }
    }

    /// `target` took the page of `page`'s message: the `page` row (made with the first target)
    /// names it, and the audit log says so, in one transaction.
    public func recordPageSent(_ page: PageCandidate, target: String, kind: String, now: Int64 = AuditEvent.nowMs()) throws {
        try pool.write { db in
            let row = try Row.fetchOne(db, sql: "SELECT reason, paged_by, targets FROM page WHERE message_id = ?", arguments: [page.messageID])
            var told = Self.names(row?["targets"])
            guard !told.contains(target) else { return }
            told.append(target)
            if row == nil {
                try db.execute(sql: "INSERT INTO page (message_id, reason, paged_at, paged_by, targets) VALUES (?, ?, ?, ?, ?)",
                               arguments: [page.messageID, page.reason, now, page.escalatedBy, told.joined(separator: ",")])
            } else {
                try db.execute(sql: "UPDATE page SET targets = ? WHERE message_id = ?", arguments: [told.joined(separator: ","), page.messageID])
            }
            let reason: String = row?["reason"] ?? page.reason
            let by: String? = row == nil ? page.escalatedBy : row?["paged_by"]
            var e = Self.pagingEvent("page_sent", message: page.messageID, now: now)
            e.reasonCode = reason
            e.detail = "\(target) (\(kind)): " + (reason == "escalated" ? "escalated by \(by ?? "?")" : "unclaimed")
                + ", \(page.ageMinutes(now: now)) min old"
            try Self.appendAudit(e, in: db)
        }
    }

    /// A target refused or did not answer (`event`: page | resolve); the server tries again at
    /// `retryAt`. `problem` is ours ("HTTP 500", "no answer"), never the target's URL or key.
    public func recordPageFailed(messageID: Int64, target: String, kind: String, event: String, problem: String, retryAt: Int64,
                                 now: Int64 = AuditEvent.nowMs()) throws {
        try pool.write { db in
            var e = Self.pagingEvent("page_failed", message: messageID, now: now)
            e.reasonCode = event
            e.detail = "\(target) (\(kind)): \(problem); next attempt at \(Self.isoTime(retryAt))"
            try Self.appendAudit(e, in: db)
        }
    }

    /// Every target that was told has heard that the message was taken: the page is over.
    /// False if it already was.
    @discardableResult
    public func recordPageResolved(_ resolution: PageResolution, told: [String], now: Int64 = AuditEvent.nowMs()) throws -> Bool {
        try pool.write { db in
            try db.execute(sql: "UPDATE page SET resolved_at = ? WHERE message_id = ? AND resolved_at IS NULL",
                           arguments: [now, resolution.page.messageID])
            guard db.changesCount == 1 else { return false }
            var e = Self.pagingEvent("page_resolved", message: resolution.page.messageID, now: now)
            e.detail = resolution.takenBecause + (told.isEmpty ? "" : "; told \(told.joined(separator: ", "))")
            try Self.appendAudit(e, in: db)
            return true
        }
    }

    // MARK: - What "taken" means

    /// The moderator of the message's live reply (one not cancelled; still in its undo window
    /// counts: someone is answering).
    static let replierSQL = "(SELECT o.moderator FROM outbox o WHERE o.message_id = m.id AND o.action = 'reply' AND o.state != 'cancelled' LIMIT 1)"

    static func candidate(_ r: Row, reason: String, escalatedBy: String?) -> PageCandidate {
        let paged = (r["page_reason"] as String?) != nil
        // Once paged, the page keeps the reason it was sent with.
        return PageCandidate(messageID: r["id"], platform: r["platform"], lane: r["lane"], receivedAt: r["received_at"],
                             reason: paged ? r["page_reason"] : reason, escalatedBy: paged ? r["paged_by"] : escalatedBy,
                             told: names(r["targets"]))
    }

    /// Why the message no longer needs the on-call targets, or nil while it does: it was
    /// answered, or left the open queue (done, hidden, deleted, snoozed), or someone holds a
    /// live claim on it. An escalation asks for someone else: the escalator's own claim does
    /// not take it.
    static func takenBecause(_ c: PageCandidate, _ r: Row, now: Int64) -> String? {
        if let replier: String = r["replier"] { return "replied by \(replier)" }
        if let state: String = r["state"], state != "open" { return "marked \(state)" }
        if let holder: String = r["claimed_by"], let until: Int64 = r["claim_expires_at"], until > now,
           c.reason != "escalated" || holder != c.escalatedBy {
            return "claimed by \(holder)"
        }
        return nil
    }

    static func names(_ targets: String?) -> [String] {
        (targets ?? "").split(separator: ",").map(String.init)
    }

    static func pagingEvent(_ action: String, message: Int64, now: Int64) -> AuditEvent {
        AuditEvent(at: now, moderator: deliveryActor, role: "service", action: action, messageID: message)
    }
}
