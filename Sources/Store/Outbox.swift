import Foundation
import GRDB

extension InboxDatabase {
    /// One action in the outbox (a reply, hide, unhide or delete) and its delivery, for `rounds outbox`.
    public struct OutboxEntry: Sendable, Encodable {
        public var id: Int64
        public var messageID: Int64
        public var platform: String
        public var externalID: String
        public var visibility: String
        public var moderator: String
        public var templateID: String?
        public var text: String
        public var state: String
        public var createdAt: String
        public var releaseAt: String
        public var action: String
        public var attempts: Int
        public var sentAt: String?
        public var platformRef: String?
        public var lastError: String?
        public var errorCode: String?

        enum CodingKeys: String, CodingKey {
            case id, platform, visibility, moderator, text, state, action, attempts
            case messageID = "message_id", externalID = "external_id", templateID = "template_id"
            case createdAt = "created_at", releaseAt = "release_at", sentAt = "sent_at", platformRef = "platform_ref"
            case lastError = "last_error", errorCode = "error_code"
        }
    }

    /// The outbox, oldest first; a pending action whose undo window is over counts as ready.
    public func outbox(state: String?, action: String? = nil) throws -> [OutboxEntry] {
        let iso = ISO8601DateFormatter()
        func date(_ ms: Int64) -> String { iso.string(from: Date(timeIntervalSince1970: Double(ms) / 1000)) }
        let now = AuditEvent.nowMs()
        return try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT o.*, m.external_id FROM outbox o JOIN message m ON m.id = o.message_id ORDER BY o.id
                """).compactMap { r -> OutboxEntry? in
                var s: String = r["state"]
                if s == "pending", (r["release_at"] as Int64) <= now { s = "ready" }
                if let state, state != s { return nil }
                if let action, action != r["action"] { return nil }
                return OutboxEntry(id: r["id"], messageID: r["message_id"], platform: r["platform"], externalID: r["external_id"],
                                   visibility: r["visibility"], moderator: r["moderator"], templateID: r["template_id"],
                                   text: r["text"], state: s, createdAt: date(r["created_at"]), releaseAt: date(r["release_at"]),
                                   action: r["action"], attempts: r["attempts"], sentAt: (r["sent_at"] as Int64?).map(date),
                                   platformRef: r["platform_ref"], lastError: r["last_error"], errorCode: r["error_code"])
            }
        }
    }
}
