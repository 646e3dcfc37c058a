import Foundation
import GRDB
import InboxModel

/// One outbox entry as the delivery worker takes it: the action and the message it acts on.
public struct Delivery: Sendable {
    public var id: Int64
    public var messageID: Int64
    /// reply | hide | unhide | delete
    public var action: String
    public var visibility: Visibility
    public var text: String
    public var moderator: String
    /// This attempt's number, from 1.
    public var attempt: Int
    /// An earlier attempt may have reached the platform: look for it before sending again.
    public var reconcile: Bool
    public var account: String?
    public var target: DeliveryRules.Target
    public var authorID: String?
    public var parentID: String?
}

/// How one attempt ended.
public enum DeliveryOutcome: Sendable, Equatable {
    /// Done on the platform; `ref` is the platform's id of what was created, if any.
    case sent(ref: String?)
    /// Try again at `at` (ms). `uncertain`: the platform may have acted (the answer was lost).
    case retry(at: Int64, reason: String, code: String?, uncertain: Bool)
    /// The platform refused for good.
    case failed(reason: String, code: String?)
    /// The connection's credentials were refused: the entry waits, the account is paused.
    case paused(reason: String, code: String?)
}

/// One action's delivery as the console's detail shows it.
public struct DeliveryRecord: Sendable, Equatable {
    public var id: Int64
    public var action: String
    public var visibility: String
    public var moderator: String
    public var state: String
    public var attempts: Int
    public var releaseAt: Int64
    public var nextAttemptAt: Int64?
    public var sentAt: Int64?
    public var platformRef: String?
    public var lastError: String?
    public var errorCode: String?

    public init(id: Int64, action: String, visibility: String, moderator: String, state: String, attempts: Int,
                releaseAt: Int64, nextAttemptAt: Int64?, sentAt: Int64?, platformRef: String?, lastError: String?, errorCode: String?) {
        self.id = id; self.action = action; self.visibility = visibility; self.moderator = moderator; self.state = state
        self.attempts = attempts; self.releaseAt = releaseAt; self.nextAttemptAt = nextAttemptAt; self.sentAt = sentAt
        self.platformRef = platformRef; self.lastError = lastError; self.errorCode = errorCode
    }
}

/// The outbox as a delivery queue: `pending` (the undo window) -> `ready` -> `sending` (leased to
/// one worker) -> `sent` | `retrying` | `failed`, or `cancelled`. Every transition commits with
/// its audit row. A worker acts only on entries it holds the lease of, so two workers (a server
/// and a `rounds deliver`) never send the same entry at once; an entry whose lease ran out while
/// `sending` (a crash) is taken again with `reconcile` set.
extension InboxDatabase {
    /// The login delivery transitions are recorded under in the audit log.
    public static let deliveryActor = "rounds-serve"

    /// Replaces the accounts the server delivers through. A restart after reconnecting clears
    /// a pause: the new credentials are tried.
    public func publishDeliveryAccounts(_ accounts: [DeliveryAccount], now: Int64 = AuditEvent.nowMs()) throws {
        try pool.write { db in
            try db.execute(sql: "DELETE FROM delivery_account")
            for a in accounts {
                try db.execute(sql: "INSERT OR REPLACE INTO delivery_account (platform, account, human_agent, updated_at) VALUES (?, ?, ?, ?)",
                               arguments: [a.platform, a.account, a.humanAgent, now])
            }
        }
    }

    public func deliveryAccounts() throws -> [DeliveryAccount] {
        try pool.read { db in try Self.deliveryAccounts(db) }
    }

    public static func deliveryAccounts(_ db: Database) throws -> [DeliveryAccount] {
        guard try db.tableExists("delivery_account") else { return [] }
        return try Row.fetchAll(db, sql: "SELECT platform, account, human_agent, paused_reason FROM delivery_account ORDER BY platform, account").map {
            DeliveryAccount(platform: $0[0], account: $0[1], humanAgent: $0[2], pausedReason: $0[3])
        }
    }

    /// Takes up to `limit` entries that are due, oldest first, and leases them to `owner`
    /// until `now + leaseMs`. Entries of a paused account stay where they are.
    ///
    /// `perConnection`: at most that many entries of one page or account (its `account`, else
    /// its platform) in flight, counting the `busy` ones the worker already holds, so that every
    /// entry leased is started at once: a kill then leaves `sending` only what was really on
    /// its way.
    public func leaseDeliveries(owner: String, limit: Int, perConnection: Int = .max, busy: [String: Int] = [:],
                                leaseMs: Int64 = 120_000, now: Int64 = AuditEvent.nowMs()) throws -> [Delivery] {
        // The worker asks several times a second: a read first, so an idle outbox never takes
        // the write lock from the moderators.
        let due = try pool.read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM outbox o WHERE \(Self.isDue))", arguments: [now]) ?? false
        }
        guard due else { return [] }
        return try pool.write { db in
            let busyJSON = String(decoding: try JSONSerialization.data(withJSONObject: busy), as: UTF8.self)
            // The window over the due entries is cheap (ids only); the message's fields are read
            // for the few picked.
            let rows = try Row.fetchAll(db, sql: """
                WITH due AS (
                    SELECT o.id, coalesce(o.account, m.platform) AS connection,
                           row_number() OVER (PARTITION BY coalesce(o.account, m.platform) ORDER BY o.id) AS nth
                    FROM outbox o JOIN message m ON m.id = o.message_id
                    WHERE \(Self.isDue)
                      AND NOT EXISTS (SELECT 1 FROM delivery_account a WHERE a.account = o.account AND a.paused_reason IS NOT NULL)
                      -- A message's actions reach the platform in the order they were taken.
                      AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.message_id = o.message_id AND e.id < o.id
                                      AND e.state IN ('pending', 'ready', 'retrying', 'sending'))),
                picked AS (
                    SELECT id FROM due
                    WHERE nth <= ?3 - coalesce((SELECT value FROM json_each(?4) WHERE key = due.connection), 0)
                    ORDER BY id LIMIT ?2)
                SELECT o.id, o.message_id, o.action, o.visibility, o.text, o.moderator, o.attempts, o.reconcile, o.state, o.account,
                       m.parent_id, m.author_id, \(Self.targetColumns)
                FROM picked JOIN outbox o ON o.id = picked.id JOIN message m ON m.id = o.message_id
                ORDER BY o.id
                """, arguments: [now, limit, perConnection == .max ? Int64.max : Int64(perConnection), busyJSON])
            return try rows.compactMap { r -> Delivery? in
                guard let target = Self.deliveryTarget(r) else { return nil }
                let id: Int64 = r["id"]
                let reconcile = (r["reconcile"] as Bool) || (r["state"] as String) == "sending"
                let attempt = (r["attempts"] as Int) + 1
                try db.execute(sql: """
                    UPDATE outbox SET state = 'sending', lease_owner = ?, lease_until = ?, attempts = ?, reconcile = ? WHERE id = ?
                    """, arguments: [owner, now + leaseMs, attempt, reconcile, id])
                var e = Self.deliveryEvent("delivery_sending", outbox: id, message: r["message_id"], now: now)
                e.detail = "attempt \(attempt)" + (reconcile ? ", checking the platform for an earlier one first" : "")
                try Self.appendAudit(e, in: db)
                return Delivery(
                    id: id, messageID: r["message_id"], action: r["action"],
                    visibility: Visibility(rawValue: r["visibility"]) ?? .public, text: r["text"], moderator: r["moderator"],
                    attempt: attempt, reconcile: reconcile, account: r["account"], target: target,
                    authorID: r["author_id"], parentID: r["parent_id"])
            }
        }
    }

    /// The fields of message `id` that decide where and whether an action can go.
    public static func deliveryTarget(messageID id: Int64, in db: Database) throws -> DeliveryRules.Target? {
        try Row.fetchOne(db, sql: "SELECT \(targetColumns) FROM message m WHERE m.id = ?", arguments: [id]).flatMap(deliveryTarget)
    }

    /// Outbox entry `o` is due: its undo window is over, its retry time has come, or the lease
    /// of a worker that died has run out (`?1`: now).
    private static let isDue = """
        o.state IN ('pending', 'ready', 'retrying', 'sending')
        AND CASE o.state WHEN 'pending' THEN o.release_at <= ?1 WHEN 'retrying' THEN o.next_attempt_at <= ?1
                         WHEN 'sending' THEN o.lease_until <= ?1 ELSE 1 END
        """

    /// The columns of message `m` that `deliveryTarget(_:)` reads.
    private static let targetColumns = """
        m.platform, m.kind, m.external_id, m.post_id, m.received_at, m.raw_payload,
        (SELECT max(p.received_at) FROM message p WHERE p.platform = m.platform AND p.post_id = m.post_id
            AND p.author_id = m.author_id) AS last_from_person
        """

    private static func deliveryTarget(_ r: Row) -> DeliveryRules.Target? {
        guard let platform = Platform(rawValue: r["platform"]), let kind = MessageKind(rawValue: r["kind"]) else { return nil }
        let received: Int64 = r["received_at"]
        let last: Int64? = r["last_from_person"]
        return DeliveryRules.Target(platform: platform, kind: kind, externalID: r["external_id"], postID: r["post_id"],
                                    receivedAt: Date(timeIntervalSince1970: Double(received) / 1000),
                                    lastFromPerson: last.map { Date(timeIntervalSince1970: Double($0) / 1000) },
                                    rawPayload: r["raw_payload"])
    }

    /// Records how an attempt ended, if `owner` still holds the entry's lease (else another
    /// worker took it over and this answer is stale: false).
    @discardableResult
    public func finishDelivery(_ id: Int64, owner: String, outcome: DeliveryOutcome, account: String? = nil,
                               now: Int64 = AuditEvent.nowMs()) throws -> Bool {
        try pool.write { db in
            guard let r = try Row.fetchOne(db, sql: "SELECT message_id, action, state, lease_owner FROM outbox WHERE id = ?", arguments: [id]),
                  (r["state"] as String) == "sending", (r["lease_owner"] as String?) == owner else { return false }
            let messageID: Int64 = r["message_id"]
            if let account { try db.execute(sql: "UPDATE outbox SET account = ? WHERE id = ?", arguments: [account, id]) }
            switch outcome {
            case let .sent(ref):
                try db.execute(sql: """
                    UPDATE outbox SET state = 'sent', platform_ref = ?, sent_at = ?, lease_owner = NULL, lease_until = NULL,
                        reconcile = 0, next_attempt_at = NULL, last_error = NULL, error_code = NULL WHERE id = ?
                    """, arguments: [ref, now, id])
                var e = Self.deliveryEvent("delivery_sent", outbox: id, message: messageID, now: now)
                e.detail = ref.map { "platform id \($0)" } ?? "done on the platform"
                // A reply that failed reopened its message; sent after all (a lead's retry), it
                // closes it again, unless someone has acted on the message since.
                if (r["action"] as String) == "reply",
                   try String.fetchOne(db, sql: "SELECT state FROM message WHERE id = ?", arguments: [messageID]) == "open",
                   let reopened = try Int64.fetchOne(db, sql: """
                       SELECT id FROM action WHERE outbox_id = ? AND action = 'delivery_failed' AND state_after = 'open' ORDER BY id DESC LIMIT 1
                       """, arguments: [id]),
                   try Int.fetchOne(db, sql: "SELECT count(*) FROM action WHERE message_id = ? AND id > ? AND state_after IS NOT NULL AND state_after != state_before",
                                    arguments: [messageID, reopened]) == 0 {
                    try db.execute(sql: "UPDATE message SET state = 'done' WHERE id = ?", arguments: [messageID])
                    e.stateBefore = "open"
                    e.stateAfter = "done"
                }
                try Self.appendAudit(e, in: db)
            case let .retry(at, reason, code, uncertain):
                try db.execute(sql: """
                    UPDATE outbox SET state = 'retrying', next_attempt_at = ?, last_error = ?, error_code = ?,
                        reconcile = reconcile OR ?, lease_owner = NULL, lease_until = NULL WHERE id = ?
                    """, arguments: [at, reason, code, uncertain, id])
                var e = Self.deliveryEvent("delivery_retrying", outbox: id, message: messageID, now: now)
                e.reasonCode = code
                e.detail = "\(reason); next attempt at \(Self.isoTime(at))"
                try Self.appendAudit(e, in: db)
            case let .failed(reason, code):
                try db.execute(sql: """
                    UPDATE outbox SET state = 'failed', last_error = ?, error_code = ?, lease_owner = NULL, lease_until = NULL,
                        next_attempt_at = NULL WHERE id = ?
                    """, arguments: [reason, code, id])
                var e = Self.deliveryEvent("delivery_failed", outbox: id, message: messageID, now: now)
                e.reasonCode = code
                e.detail = reason
                // A reply that cannot leave puts its message back in front of the team.
                if (r["action"] as String) == "reply",
                   let state = try String.fetchOne(db, sql: "SELECT state FROM message WHERE id = ?", arguments: [messageID]), state == "done" {
                    try db.execute(sql: "UPDATE message SET state = 'open' WHERE id = ?", arguments: [messageID])
                    e.stateBefore = state
                    e.stateAfter = "open"
                }
                try Self.appendAudit(e, in: db)
            case let .paused(reason, code):
                // Back to ready behind its paused account; an entry that names no account would
                // be taken again at once, so it waits five minutes instead.
                let account = try String.fetchOne(db, sql: "SELECT account FROM outbox WHERE id = ?", arguments: [id])
                try db.execute(sql: """
                    UPDATE outbox SET state = ?, next_attempt_at = ?, attempts = attempts - 1, last_error = ?, error_code = ?,
                        lease_owner = NULL, lease_until = NULL WHERE id = ?
                    """, arguments: [account == nil ? "retrying" : "ready", account == nil ? now + 300_000 : nil, reason, code, id])
                if let account {
                    try db.execute(sql: "UPDATE delivery_account SET paused_reason = ? WHERE account = ?", arguments: [reason, account])
                }
                var e = Self.deliveryEvent("delivery_paused", outbox: id, message: messageID, now: now)
                e.reasonCode = code
                e.detail = reason
                try Self.appendAudit(e, in: db)
            }
            return true
        }
    }

    /// At start, with the inbox's delivery lock held: whatever a dead worker left `sending` is
    /// due at once, to be looked for on the platform before it is sent again.
    public func recoverInterruptedDeliveries() throws -> Int {
        try pool.write { db in
            try db.execute(sql: "UPDATE outbox SET lease_until = 0, reconcile = 1 WHERE state = 'sending'")
            return db.changesCount
        }
    }

    /// Each action of a message bound for the platform, oldest first.
    public func deliveries(messageID: Int64) throws -> [DeliveryRecord] {
        try pool.read { db in try Self.deliveries(messageID: messageID, in: db) }
    }

    public static func deliveries(messageID: Int64, in db: Database) throws -> [DeliveryRecord] {
        try Row.fetchAll(db, sql: """
            SELECT id, action, visibility, moderator, state, attempts, release_at, next_attempt_at, sent_at, platform_ref, last_error, error_code
            FROM outbox WHERE message_id = ? ORDER BY id
            """, arguments: [messageID]).map {
            DeliveryRecord(id: $0[0], action: $0[1], visibility: $0[2], moderator: $0[3], state: $0[4], attempts: $0[5],
                           releaseAt: $0[6], nextAttemptAt: $0[7], sentAt: $0[8], platformRef: $0[9], lastError: $0[10], errorCode: $0[11])
        }
    }

    /// How many deliveries failed and wait for a lead (retry or cancel).
    public static func failedDeliveries(in db: Database) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT count(*) FROM outbox WHERE state = 'failed'") ?? 0
    }

    /// Counts by state, for `/metrics` and the report.
    public func deliveryCounts() throws -> [String: Int] {
        try pool.read { db in
            Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT state, count(*) FROM outbox GROUP BY state").map {
                ($0[0] as String, $0[1] as Int)
            })
        }
    }

    /// Cancels what a later action makes moot, in the transaction of that action: a reply not
    /// yet on its way when its message is hidden or deleted, a hide when the message is deleted.
    /// Audited under the moderator who acted, with the reason, for the one who queued it to see.
    @discardableResult
    public static func cancelOvertaken(messageID: Int64, by moderator: String, role: String, because action: String,
                                       actions: [String], now: Int64, in db: Database) throws -> Int {
        let list = actions.map { "'\($0)'" }.joined(separator: ",")
        let rows = try Row.fetchAll(db, sql: """
            SELECT id, action, moderator FROM outbox
            WHERE message_id = ? AND action IN (\(list)) AND state IN ('pending', 'ready', 'retrying', 'failed')
            """, arguments: [messageID])
        for r in rows {
            let id: Int64 = r["id"]
            let reason = "overtaken: message \(action) by \(moderator)"
            try db.execute(sql: "UPDATE outbox SET state = 'cancelled', last_error = ? WHERE id = ?", arguments: [reason, id])
            var e = AuditEvent(at: now, moderator: moderator, role: role, action: (r["action"] as String) == "reply" ? "reply_cancelled" : "delivery_cancelled",
                               messageID: messageID, reasonCode: "overtaken", detail: "\(r["action"] as String) queued by \(r["moderator"] as String): \(reason)")
            e.outboxID = id
            try appendAudit(e, in: db)
        }
        return rows.count
    }

    static func deliveryEvent(_ action: String, outbox: Int64, message: Int64, now: Int64) -> AuditEvent {
        var e = AuditEvent(at: now, moderator: deliveryActor, role: "service", action: action, messageID: message)
        e.outboxID = outbox
        return e
    }

    static func isoTime(_ ms: Int64) -> String {
        ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
    }
}
