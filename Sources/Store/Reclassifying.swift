import Foundation
import GRDB
import InboxModel

/// What `rounds reclassify` changed.
public struct ReclassifySummary: Sendable, Equatable {
    public var messages = 0
    public var changed = 0
    /// "symptoms -> new" style moves between lanes, with how many messages made each.
    public var laneMoves: [String: Int] = [:]
}

extension InboxDatabase {
    /// Re-runs `classify` over every message (in id order, a batch per transaction) and
    /// stores what changed, so an edited policy takes effect on the inbox already there.
    public func reclassify(batchSize: Int = 2000, moderator: String, role: String,
                           classify: (_ text: String, _ platform: Platform, _ kind: MessageKind, _ rating: Int?) -> (Classification, String)) throws -> ReclassifySummary {
        var summary = ReclassifySummary()
        var lastID: Int64 = 0
        var version = ""
        while true {
            let rows = try pool.read { db in
                try Row.fetchAll(db, sql: """
                    SELECT id, platform, kind, text, rating, lane, classification FROM message WHERE id > ? ORDER BY id LIMIT ?
                    """, arguments: [lastID, batchSize])
            }
            guard let last = rows.last else { break }
            lastID = last["id"]
            var updates: [(Int64, Classification, MessageKind, String, String)] = []
            for r in rows {
                let platform = Platform(rawValue: r["platform"]) ?? .facebook
                let kind = MessageKind(rawValue: r["kind"]) ?? .comment
                let (c, v) = classify(r["text"], platform, kind, r["rating"])
                version = v
                summary.messages += 1
                let old: Classification? = (r["classification"] as String?).flatMap { try? JSONDecoder().decode(Classification.self, from: Data($0.utf8)) }
                if old != c { updates.append((r["id"], c, kind, r["lane"], v)) }
            }
            try pool.write { db in
                for (id, c, kind, oldLane, v) in updates {
                    try Self.writeClassification(c, kind: kind, policyVersion: v, messageID: id, in: db)
                    let newLane = c.lane(kind: kind).rawValue
                    if newLane != oldLane { summary.laneMoves["\(oldLane) -> \(newLane)", default: 0] += 1 }
                }
                // Unchanged messages still record which policy version they were checked against.
                let first: Int64 = rows[0]["id"]
                try db.execute(sql: "UPDATE message SET policy_version = ? WHERE id BETWEEN ? AND ? AND policy_version IS NOT ?",
                               arguments: [version, first, lastID, version])
            }
            summary.changed += updates.count
        }
        let detail = "\(summary.messages) messages, \(summary.changed) changed, policy \(version.prefix(12))"
        try audit(AuditEvent(at: Int64(Date().timeIntervalSince1970 * 1000), moderator: moderator, role: role, action: "reclassify", detail: detail))
        return summary
    }
}
