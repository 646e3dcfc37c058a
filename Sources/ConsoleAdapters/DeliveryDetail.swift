import Console
import Foundation
import GRDB
import InboxModel
import Store

/// What the console reads about delivery: each action's place in the outbox, whether the
/// message has a connection to leave through, and how many deliveries wait for a lead.
extension SQLiteConsoleStore {
    public func failedDeliveryCount() throws -> Int {
        try inbox.pool.read { db in try InboxDatabase.failedDeliveries(in: db) }
    }

    static func deliveries(of messageID: Int64, in db: Database) throws -> [DeliveryStatus] {
        func date(_ ms: Int64) -> Date { Date(timeIntervalSince1970: Double(ms) / 1000) }
        return try InboxDatabase.deliveries(messageID: messageID, in: db).map { r in
            DeliveryStatus(outboxID: r.id, action: r.action, visibility: Visibility(rawValue: r.visibility) ?? .public,
                           moderator: r.moderator, state: DeliveryState(r.state), releaseAt: date(r.releaseAt),
                           nextAttemptAt: r.nextAttemptAt.map(date), sentAt: r.sentAt.map(date),
                           lastError: r.lastError, errorCode: r.errorCode)
        }
    }

    /// Nil when the server delivers through this message's page, or when no server published
    /// its accounts (an inbox without `rounds serve` has nothing to warn about).
    static func connectionProblem(_ row: MessageRow, externalID: String, postID: String?, in db: Database) throws -> ConnectionProblem? {
        let accounts = try InboxDatabase.deliveryAccounts(db)
        guard !accounts.isEmpty else { return nil }
        // The payload can name the account (Instagram's webhook entry); one row, read only here.
        let raw = try String.fetchOne(db, sql: "SELECT raw_payload FROM message WHERE id = ?", arguments: [row.id])
        let target = DeliveryRules.Target(platform: row.platform, kind: row.kind, externalID: externalID, postID: postID,
                                          receivedAt: row.receivedAt, rawPayload: raw)
        guard let account = DeliveryRules.account(for: target, among: accounts) else { return .noAccount }
        return account.pausedReason.map { .paused(reason: $0) }
    }
}
