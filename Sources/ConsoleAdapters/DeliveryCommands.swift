import Console
import Foundation
import GRDB
import InboxModel
import Store

/// A lead's answer to a delivery the platform refused: send it again or give up on it. Each
/// runs inside `perform`'s transaction, so the outbox change and its audit row commit together.
extension SQLiteConsoleStore {
    /// failed | retrying -> ready: the worker takes it at once. The attempts so far stay (they
    /// are the record); `reconcile` stays too, so an attempt that may have landed is looked for first.
    func retryDelivery(outbox: Int64, moderator: String, now: Int64, in db: Database) throws -> CommandReceipt {
        try requireLead("send a delivery again")
        let o = try deliveryEntry(outbox, in: db)
        guard o.state == "failed" || o.state == "retrying" else {
            throw Refusal("That delivery is \(o.state); only a failed or retrying one can be sent again.")
        }
        // An interrupted attempt the platform gives no way to check failed as `unverified`: the
        // lead's retry is the decision to send it again, so it is no longer looked for.
        try db.execute(sql: """
            UPDATE outbox SET state = 'ready', next_attempt_at = NULL, last_error = NULL, error_code = NULL,
                reconcile = CASE WHEN error_code = 'unverified' THEN 0 ELSE reconcile END WHERE id = ?
            """, arguments: [outbox])
        var e = deliveryAudit("delivery_retry", o, moderator: moderator, now: now)
        e.detail = "\(o.state) -> ready after \(o.attempts) attempt\(o.attempts == 1 ? "" : "s")"
        try InboxDatabase.appendAudit(e, in: db)
        return CommandReceipt(summary: "\(o.label) will be sent again")
    }

    /// failed | retrying | ready -> cancelled. Not while `sending`: the worker holds it and the
    /// platform may be acting on it this moment.
    func cancelDelivery(outbox: Int64, moderator: String, now: Int64, in db: Database) throws -> CommandReceipt {
        try requireLead("cancel a delivery")
        let o = try deliveryEntry(outbox, in: db)
        guard ["failed", "retrying", "ready"].contains(o.state) else {
            throw Refusal(o.state == "sending" ? "That delivery is being sent right now; try again in a moment."
                                               : "That delivery is already \(o.state).")
        }
        // The reason replaces the platform's, which stays in the audit log's delivery_failed row.
        try db.execute(sql: "UPDATE outbox SET state = 'cancelled', next_attempt_at = NULL, last_error = ? WHERE id = ?",
                       arguments: ["by \(moderator) (lead)", outbox])
        var e = deliveryAudit("delivery_cancelled", o, moderator: moderator, now: now)
        e.detail = "cancelled by lead"
        try InboxDatabase.appendAudit(e, in: db)
        return CommandReceipt(summary: "\(o.label) cancelled: it will not be sent")
    }

    private struct Entry {
        var id: Int64
        var messageID: Int64
        var action: String
        var state: String
        var attempts: Int
        var errorCode: String?
        var messageState: String?
        var label: String { action == "reply" ? "Reply" : action.prefix(1).uppercased() + action.dropFirst() }
    }

    private func deliveryEntry(_ id: Int64, in db: Database) throws -> Entry {
        guard let r = try Row.fetchOne(db, sql: """
            SELECT o.message_id, o.action, o.state, o.attempts, o.error_code, m.state AS message_state
            FROM outbox o LEFT JOIN message m ON m.id = o.message_id WHERE o.id = ?
            """, arguments: [id]) else { throw Refusal("That delivery is not in the outbox.") }
        return Entry(id: id, messageID: r["message_id"], action: r["action"], state: r["state"], attempts: r["attempts"],
                     errorCode: r["error_code"], messageState: r["message_state"])
    }

    /// Leads only, checked against the role read inside this transaction (`perform`).
    private func requireLead(_ what: String) throws {
        guard actingRole == "lead" else { throw Refusal("Your role (\(actingRole)) cannot \(what): leads only.") }
    }

    private func deliveryAudit(_ action: String, _ o: Entry, moderator: String, now: Int64) -> AuditEvent {
        // The message itself does not change: its state is recorded on both sides, as for a note.
        var e = AuditEvent(at: now, moderator: moderator, role: actingRole, action: action, messageID: o.messageID,
                           reasonCode: o.errorCode, stateBefore: o.messageState, stateAfter: o.messageState,
                           policyVersion: policyVersion())
        e.outboxID = o.id
        return e
    }
}
