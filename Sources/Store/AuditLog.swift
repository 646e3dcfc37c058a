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
    /// The policy version in force for the act (the reply guard that checked a reply).
    public var policyVersion: String?
    public var prevHash: String = ""
    public var hash: String = ""

    public init(at: Int64, moderator: String, role: String, action: String, messageID: Int64? = nil,
                reasonCode: String? = nil, templateID: String? = nil, ruleIDs: String? = nil, detail: String? = nil,
                stateBefore: String? = nil, stateAfter: String? = nil, outboxID: Int64? = nil, undoes: Int64? = nil,
                policyVersion: String? = nil) {
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
        self.policyVersion = policyVersion
    }

    /// Now, as audit rows record time: Unix milliseconds.
    public static func nowMs() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }

    /// The event's content in a fixed, unambiguous form: what the hash covers. The row id is
    /// part of it, so reordering rows breaks the chain as surely as editing them.
    var canonical: String {
        func f(_ v: Any?) -> String {
            guard let v else { return "\u{2400}" } // null differs from ""
            let s = "\(v)"
            // ...and from a value that is the null marker itself (else NULL <-> "␀" went unnoticed).
            if s == "\u{2400}" { return "\\u2400" }
            return s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\u{1F}", with: "\\u001f")
        }
        return [f(id), f(at), f(moderator), f(role), f(action), f(messageID), f(reasonCode), f(templateID),
                f(ruleIDs), f(detail), f(stateBefore), f(stateAfter), f(outboxID), f(undoes)].joined(separator: "\u{1F}")
            // Only rows that have one: rows recorded before the column existed hash as they did.
            + (policyVersion.map { "\u{1F}" + f($0) } ?? "")
    }

    static func chainHash(prev: String, canonical: String) -> String {
        InboxDigest.sha256Hex(Array((prev + "\u{1E}" + canonical).utf8))
    }

    /// Columns and the storage classes Rounds writes to them: a row with anything else was
    /// edited outside Rounds (decoding it blindly would stop the program instead of reporting it).
    static let columnTypes: [(String, Set<String>)] = [
        ("id", ["integer"]), ("at", ["integer"]), ("moderator", ["text"]), ("role", ["text"]), ("action", ["text"]),
        ("message_id", ["integer", "null"]), ("reason_code", ["text", "null"]), ("template_id", ["text", "null"]),
        ("rule_ids", ["text", "null"]), ("detail", ["text", "null"]), ("state_before", ["text", "null"]),
        ("state_after", ["text", "null"]), ("outbox_id", ["integer", "null"]), ("undoes", ["integer", "null"]),
        ("prev_hash", ["text"]), ("hash", ["text"]), ("policy_version", ["text", "null"]),
    ]

    /// The first column of `row` whose value has a type Rounds never writes there, if any.
    static func wrongType(in row: Row) -> String? {
        for (column, allowed) in columnTypes {
            let kind: String
            switch row[column] as DatabaseValue? {
            case nil: kind = "missing"
            case let v?:
                switch v.storage {
                case .null: kind = "null"
                case .int64: kind = "integer"
                case .double: kind = "real"
                case .string: kind = "text"
                case .blob: kind = "blob"
                }
            }
            if !allowed.contains(kind) { return "\(column) holds \(kind == "missing" ? "nothing (the column is gone)" : "a \(kind) value")" }
        }
        return nil
    }

    /// Reads a row without trusting its types (a tampered row must be reported, not trap):
    /// a value of the wrong type reads as nil or empty, and `wrongType(in:)` names it.
    public init(row: Row) {
        func int(_ c: String) -> Int64? { (row[c] as DatabaseValue?).flatMap { Int64.fromDatabaseValue($0) } }
        func text(_ c: String) -> String? { (row[c] as DatabaseValue?).flatMap { String.fromDatabaseValue($0) } }
        id = int("id") ?? 0; at = int("at") ?? 0
        moderator = text("moderator") ?? ""; role = text("role") ?? ""; action = text("action") ?? ""
        messageID = int("message_id"); reasonCode = text("reason_code"); templateID = text("template_id")
        ruleIDs = text("rule_ids"); detail = text("detail"); stateBefore = text("state_before")
        stateAfter = text("state_after"); outboxID = int("outbox_id"); undoes = int("undoes")
        prevHash = text("prev_hash") ?? ""; hash = text("hash") ?? ""
        policyVersion = text("policy_version")
    }
}

extension InboxDatabase {
    /// Appends `event` to the audit log inside the caller's transaction, chained to the last row.
    @discardableResult
    public static func appendAudit(_ event: AuditEvent, in db: Database) throws -> Int64 {
        var e = event
        let last = try Row.fetchOne(db, sql: "SELECT id, hash FROM action ORDER BY id DESC LIMIT 1")
        e.id = (last?["id"] as Int64? ?? 0) + 1
        e.prevHash = last?["hash"] ?? String(repeating: "0", count: 64)
        e.hash = AuditEvent.chainHash(prev: e.prevHash, canonical: e.canonical)
        try db.execute(sql: """
            INSERT INTO action (id, at, moderator, role, action, message_id, reason_code, template_id,
                rule_ids, detail, state_before, state_after, outbox_id, undoes, prev_hash, hash, policy_version)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [e.id, e.at, e.moderator, e.role, e.action, e.messageID, e.reasonCode, e.templateID,
                             e.ruleIDs, e.detail, e.stateBefore, e.stateAfter, e.outboxID, e.undoes, e.prevHash, e.hash,
                             e.policyVersion])
        return e.id
    }

    /// Records an action that changes nothing else (export, reclassify, opening PHI).
    @discardableResult
    public func audit(_ event: AuditEvent) throws -> Int64 {
        try moderatorWrite { db in try Self.appendAudit(event, in: db) }
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
                count += 1
                if let problem = AuditEvent.wrongType(in: row) {
                    let id = (row["id"] as DatabaseValue?).flatMap { Int64.fromDatabaseValue($0) } ?? expectedID
                    return .broken(events: count, firstBadID: id, reason: "event \(id) was altered outside Rounds: \(problem)")
                }
                let e = AuditEvent(row: row)
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
