import Foundation
import GRDB

/// One moderator action as the audit log records it.
public struct AuditEvent: Sendable, Equatable {
    public var id: Int64 = 0
    public var at: Int64
    public var moderator: String
    public var role: String
    public var action: String
    public var messageID: Int64?
    public var reasonCode: String?
    public var templateID: String?
    public var ruleIDs: String?
    public var detail: String?
    public var stateBefore: String?
    public var stateAfter: String?
    public var outboxID: Int64?
    public var undoes: Int64?
    public var prevHash: String = ""
    public var hash: String = ""

    public init(at: Int64, moderator: String, role: String, action: String, messageID: Int64? = nil,
                reasonCode: String? = nil, templateID: String? = nil, ruleIDs: String? = nil, detail: String? = nil,
                stateBefore: String? = nil, stateAfter: String? = nil, outboxID: Int64? = nil, undoes: Int64? = nil) {
        self.at = at
        self.moderator = moderator
        self.role = role
        self.action = action
        self.messageID = messageID
        self.reasonCode = reasonCode
        self.templateID = templateID
        self.ruleIDs = ruleIDs
        self.detail = detail
        self.stateBefore = stateBefore
        self.stateAfter = stateAfter
        self.outboxID = outboxID
        self.undoes = undoes
    }

    /// The event's content in a fixed, unambiguous form: what the hash covers. The row id is
    /// part of it, so reordering rows breaks the chain as surely as editing them.
    var canonical: String {
        func f(_ v: Any?) -> String {
            guard let v else { return "\u{2400}" } // null differs from ""
            return "\(v)".replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\u{1F}", with: "\\u001f")
        }
        return [f(id), f(at), f(moderator), f(role), f(action), f(messageID), f(reasonCode), f(templateID),
                f(ruleIDs), f(detail), f(stateBefore), f(stateAfter), f(outboxID), f(undoes)].joined(separator: "\u{1F}")
    }

    static func chainHash(prev: String, canonical: String) -> String {
        SHA256.hex(Array((prev + "\u{1E}" + canonical).utf8))
    }

    init(row: Row) {
        id = row["id"]; at = row["at"]; moderator = row["moderator"]; role = row["role"]; action = row["action"]
        messageID = row["message_id"]; reasonCode = row["reason_code"]; templateID = row["template_id"]
        ruleIDs = row["rule_ids"]; detail = row["detail"]; stateBefore = row["state_before"]
        stateAfter = row["state_after"]; outboxID = row["outbox_id"]; undoes = row["undoes"]
        prevHash = row["prev_hash"]; hash = row["hash"]
    }
}

extension InboxDatabase {
    /// Appends `event` to the audit log inside the caller's transaction, chained to the last row.
    @discardableResult
    static func appendAudit(_ event: AuditEvent, in db: Database) throws -> Int64 {
        var e = event
        let last = try Row.fetchOne(db, sql: "SELECT id, hash FROM action ORDER BY id DESC LIMIT 1")
        e.id = (last?["id"] as Int64? ?? 0) + 1
        e.prevHash = last?["hash"] ?? String(repeating: "0", count: 64)
        e.hash = AuditEvent.chainHash(prev: e.prevHash, canonical: e.canonical)
        try db.execute(sql: """
            INSERT INTO action (id, at, moderator, role, action, message_id, reason_code, template_id,
                rule_ids, detail, state_before, state_after, outbox_id, undoes, prev_hash, hash)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [e.id, e.at, e.moderator, e.role, e.action, e.messageID, e.reasonCode, e.templateID,
                             e.ruleIDs, e.detail, e.stateBefore, e.stateAfter, e.outboxID, e.undoes, e.prevHash, e.hash])
        return e.id
    }

    /// Records an action that changes nothing else (export, reclassify, opening PHI).
    @discardableResult
    public func audit(_ event: AuditEvent) throws -> Int64 {
        try pool.write { db in try Self.appendAudit(event, in: db) }
    }

    /// The result of checking the audit log's hash chain.
    public enum ChainCheck: Equatable, Sendable {
        case intact(events: Int)
        case broken(events: Int, firstBadID: Int64, reason: String)
    }

    /// Re-computes every hash in id order: an edited, deleted, inserted or reordered row
    /// breaks the chain at the first place it touches.
    public func verifyAuditChain() throws -> ChainCheck {
        try pool.read { db in
            var prev = String(repeating: "0", count: 64)
            var expectedID: Int64 = 1
            var count = 0
            let cursor = try Row.fetchCursor(db, sql: "SELECT * FROM action ORDER BY id")
            while let row = try cursor.next() {
                let e = AuditEvent(row: row)
                count += 1
                if e.id != expectedID {
                    return .broken(events: count, firstBadID: e.id, reason: "event \(expectedID) is missing (the next one is \(e.id))")
                }
                if e.prevHash != prev {
                    return .broken(events: count, firstBadID: e.id, reason: "event \(e.id) does not follow event \(e.id - 1) (rows deleted, inserted or reordered)")
                }
                if AuditEvent.chainHash(prev: prev, canonical: e.canonical) != e.hash {
                    return .broken(events: count, firstBadID: e.id, reason: "event \(e.id) was altered after it was recorded")
                }
                prev = e.hash
                expectedID += 1
            }
            return .intact(events: count)
        }
    }

    /// Audit events, oldest first, optionally since a time and for one moderator.
    public func auditEvents(since: Date? = nil, moderator: String? = nil, limit: Int = 10_000) throws -> [AuditEvent] {
        try pool.read { db in
            var sql = "SELECT * FROM action WHERE 1"
            var args: [DatabaseValueConvertible] = []
            if let since { sql += " AND at >= ?"; args.append(Int64(since.timeIntervalSince1970 * 1000)) }
            if let moderator { sql += " AND moderator = ?"; args.append(moderator) }
            sql += " ORDER BY id LIMIT ?"
            args.append(limit)
            return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(args)).map(AuditEvent.init(row:))
        }
    }
}
