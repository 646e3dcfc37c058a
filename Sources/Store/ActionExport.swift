import Foundation
import GRDB

/// One row of the end-of-day export: an action with the minimum necessary about its message.
public struct ExportRow: Sendable {
    public var eventID: Int64
    public var at: Date
    public var moderator: String
    public var role: String
    public var action: String
    public var reasonCode: String?
    public var platform: String?
    public var externalID: String?
    public var kind: String?
    public var flags: String?
    public var templateID: String?
    /// The reply's text, for reply actions (what the organisation said publicly or privately).
    public var replyText: String?
    /// Seconds from the message's arrival to the first action anyone took on it.
    public var responseSeconds: Int64?
    /// For an action bound for the platform (a reply, hide or delete): where its delivery
    /// stands, when it was done on the platform, and the platform's id of what it made.
    public var delivery: String?
    public var deliveredAt: Date?
    public var platformRef: String?
    // Only with --include-text:
    public var messageText: String?
    public var authorHandle: String?
    public var authorName: String?
}

extension InboxDatabase {
    /// The export's query (two bound times: from, to), shared with the benchmark's sqlite3 baseline.
    public static func exportSQL(includeText: Bool) -> String {
        """
        SELECT a.id, a.at, a.moderator, a.role, a.action, a.reason_code, a.template_id, a.rule_ids,
               a.detail, m.platform, m.external_id, m.kind, m.received_at,
               (SELECT min(f.at) FROM action f WHERE f.message_id = a.message_id
                    AND f.action NOT IN ('note', 'claim', 'release', 'open_phi', 'snooze_expired')) AS first_action,
               \(includeText ? "m.text, m.author_handle, m.author_name" : "NULL, NULL, NULL"),
               CASE WHEN a.action IN ('reply_queued', 'hide', 'delete') THEN o.state END, o.sent_at, o.platform_ref
        FROM action a LEFT JOIN message m ON m.id = a.message_id LEFT JOIN outbox o ON o.id = a.outbox_id
        WHERE a.at >= ? AND a.at < ? ORDER BY a.at, a.id
        """
    }

    /// Adds `count` audit events (claims and dones spread over the newest messages) for the
    /// export benchmark; chained like real ones.
    public func insertSyntheticActions(_ count: Int, moderators: [String], at start: Date) throws {
        let ids = try pool.read { db in try Int64.fetchAll(db, sql: "SELECT id FROM message ORDER BY id DESC LIMIT 50000") }
        guard !ids.isEmpty else { return }
        var done = 0
        while done < count {
            try pool.write { db in
                for i in done..<min(count, done + 10_000) {
                    let action = i % 2 == 0 ? "claim" : "done"
                    try Self.appendAudit(AuditEvent(at: Int64(start.timeIntervalSince1970 * 1000) + Int64(i), moderator: moderators[i % moderators.count],
                                                    role: "moderator", action: action, messageID: ids[(i / 2) % ids.count],
                                                    ruleIDs: "spam", stateBefore: "open", stateAfter: action == "done" ? "done" : "open"), in: db)
                }
            }
            done = min(count, done + 10_000)
        }
    }

    /// Streams the actions recorded in `[from, to)` in order, without loading them all.
    public func exportActions(from: Date, to: Date, includeText: Bool, _ body: (ExportRow) throws -> Void) throws {
        try pool.read { db in
            let sql = Self.exportSQL(includeText: includeText)
            let cursor = try Row.fetchCursor(db, sql: sql, arguments: [Int64(from.timeIntervalSince1970 * 1000), Int64(to.timeIntervalSince1970 * 1000)])
            while let r = try cursor.next() {
                // Columns by position: this loop runs once per exported action.
                let action: String = r[4]
                var response: Int64?
                if let received: Int64 = r[12], let first: Int64 = r[13] {
                    response = max(0, (first - received) / 1000)
                }
                try body(ExportRow(
                    eventID: r[0], at: Date(timeIntervalSince1970: Double(r[1] as Int64) / 1000),
                    moderator: r[2], role: r[3], action: action, reasonCode: r[5],
                    platform: r[9], externalID: r[10], kind: r[11], flags: r[7],
                    templateID: r[6], replyText: action == "reply_queued" ? r[8] : nil,
                    responseSeconds: response, delivery: r[17],
                    deliveredAt: (r[18] as Int64?).map { Date(timeIntervalSince1970: Double($0) / 1000) }, platformRef: r[19],
                    messageText: r[14], authorHandle: r[15], authorName: r[16]
                ))
            }
        }
    }
}
