import GRDB

/// Counts that `rounds stats` prints: how big the inbox is and what it holds.
public struct InboxStats: Sendable, Equatable {
    public var messages: Int
    public var byPlatform: [(String, Int)]
    public var byKind: [(String, Int)]
    public var byState: [(String, Int)]
    public var byLane: [(String, Int)]
    public var byFlag: [(String, Int)]
    public var editedMessages: Int
    public var removedOnPlatform: Int
    public var hiddenOnPlatform: Int
    public var invalidUTF8: Int
    public var rejectedRecords: Int
    public var schemaVersion: Int

    public static func == (a: InboxStats, b: InboxStats) -> Bool {
        func same(_ x: [(String, Int)], _ y: [(String, Int)]) -> Bool { x.map { "\($0.0)=\($0.1)" } == y.map { "\($0.0)=\($0.1)" } }
        return a.messages == b.messages && same(a.byPlatform, b.byPlatform) && same(a.byKind, b.byKind)
            && same(a.byState, b.byState) && same(a.byLane, b.byLane) && same(a.byFlag, b.byFlag)
            && a.editedMessages == b.editedMessages && a.removedOnPlatform == b.removedOnPlatform
            && a.hiddenOnPlatform == b.hiddenOnPlatform && a.invalidUTF8 == b.invalidUTF8
            && a.rejectedRecords == b.rejectedRecords && a.schemaVersion == b.schemaVersion
    }
}

extension InboxDatabase {
    public func stats() throws -> InboxStats {
        try pool.read { db in
            func groups(_ sql: String) throws -> [(String, Int)] {
                try Row.fetchAll(db, sql: sql).map { ($0[0] as String? ?? "?", $0[1] as Int) }
            }
            func count(_ sql: String) throws -> Int { try Int.fetchOne(db, sql: sql) ?? 0 }
            return InboxStats(
                messages: try count("SELECT count(*) FROM message"),
                byPlatform: try groups("SELECT platform, count(*) FROM message GROUP BY platform ORDER BY platform"),
                byKind: try groups("SELECT kind, count(*) FROM message GROUP BY kind ORDER BY kind"),
                byState: try groups("SELECT state, count(*) FROM message GROUP BY state ORDER BY state"),
                byLane: try groups("SELECT lane, count(*) FROM message WHERE state = 'open' GROUP BY lane ORDER BY lane"),
                byFlag: try groups("SELECT flag, count(*) FROM message_flag WHERE decision != 'review' GROUP BY flag ORDER BY flag"),
                editedMessages: try count("SELECT count(*) FROM message WHERE edited_at IS NOT NULL"),
                removedOnPlatform: try count("SELECT count(*) FROM message WHERE removed_on_platform"),
                hiddenOnPlatform: try count("SELECT count(*) FROM message WHERE hidden_on_platform"),
                invalidUTF8: try count("SELECT count(*) FROM message WHERE invalid_utf8"),
                rejectedRecords: try count("SELECT count(*) FROM rejected_record"),
                schemaVersion: try Schema.migrator.appliedIdentifiers(db).count
            )
        }
    }

    /// The rejected records, newest first, for `rounds stats --rejected`.
    public func rejectedRecords(limit: Int = 50) throws -> [Rejection] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT source_file, line, location, reason, raw FROM rejected_record ORDER BY id DESC LIMIT ?
                """, arguments: [limit]).map {
                Rejection(sourceFile: $0["source_file"], line: $0["line"], location: $0["location"], reason: $0["reason"], raw: $0["raw"])
            }
        }
    }
}
