import Foundation
import GRDB
import InboxModel

/// One policy file of a published version.
public struct PolicyFile: Sendable, Equatable {
    public var path: String
    public var bytes: [UInt8]
    public init(path: String, bytes: [UInt8]) { self.path = path; self.bytes = bytes }
}

/// A published policy version.
public struct PolicyVersion: Sendable, Equatable {
    public var version: String
    public var publishedAt: Date
    public var publishedBy: String
    public var files: Int
    public var summary: String
    public var inForce: Bool
}

/// The policy sets leads publish into the inbox: every file's bytes, by version. The console,
/// ingest and reclassification use the version in force; nobody edits it in place.
extension InboxDatabase {
    /// Stores `files` as `version` and puts it in force, audited with `summary`, by a lead (checked
    /// in the same transaction). Publishing the version already in force changes nothing.
    public func publishPolicies(_ files: [PolicyFile], version: String, summary: String, by login: String) throws -> Bool {
        try moderatorWrite { db in
            try Self.requireLead(login, "publish policies", in: db)
            if try String.fetchOne(db, sql: "SELECT value FROM setting WHERE key = 'policy_in_force'") == version { return false }
            let now = AuditEvent.nowMs()
            try db.execute(sql: """
                INSERT INTO policy_set (version, published_at, published_by, files, summary) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (version) DO UPDATE SET published_at = excluded.published_at, published_by = excluded.published_by
                """, arguments: [version, now, login, files.count, summary])
            for f in files {
                try db.execute(sql: "INSERT OR IGNORE INTO policy_set_file (version, path, bytes) VALUES (?, ?, ?)",
                               arguments: [version, f.path, Data(f.bytes)])
            }
            try db.execute(sql: """
                INSERT INTO setting (key, value) VALUES ('policy_in_force', ?)
                ON CONFLICT (key) DO UPDATE SET value = excluded.value
                """, arguments: [version])
            try Self.appendAudit(AuditEvent(at: now, moderator: login, role: "lead", action: "policy_publish",
                                            detail: "\(version): \(summary)"), in: db)
            return true
        }
    }

    /// The version in force, if any was published.
    public func policyVersionInForce() throws -> String? {
        try pool.read { db in try String.fetchOne(db, sql: "SELECT value FROM setting WHERE key = 'policy_in_force'") }
    }

    /// Every published version, newest first.
    public func policyVersions() throws -> [PolicyVersion] {
        try pool.read { db in
            let current = try String.fetchOne(db, sql: "SELECT value FROM setting WHERE key = 'policy_in_force'")
            return try Row.fetchAll(db, sql: "SELECT * FROM policy_set ORDER BY published_at DESC, version").map { r in
                PolicyVersion(version: r["version"], publishedAt: Date(timeIntervalSince1970: Double(r["published_at"] as Int64) / 1000),
                              publishedBy: r["published_by"], files: r["files"], summary: r["summary"], inForce: r["version"] == current)
            }
        }
    }

    /// The files of `version` (a unique prefix will do), by path; nil if there is no such version.
    public func policyFiles(version: String) throws -> (version: String, files: [PolicyFile])? {
        try pool.read { db in
            let matches = try String.fetchAll(db, sql: "SELECT version FROM policy_set WHERE version LIKE ? || '%' ESCAPE '\\'",
                                              arguments: [version.replacingOccurrences(of: "\\", with: "\\\\")
                                                  .replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")])
            guard matches.count == 1, let full = matches.first else { return nil }
            let files = try Row.fetchAll(db, sql: "SELECT path, bytes FROM policy_set_file WHERE version = ? ORDER BY path", arguments: [full])
                .map { PolicyFile(path: $0["path"], bytes: [UInt8]($0["bytes"] as Data)) }
            return (full, files)
        }
    }
}
