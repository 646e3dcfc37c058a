import Foundation
import GRDB
import InboxModel

/// A team change refused, worded for the user.
public struct TeamRefusal: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The inbox's team: who may do what, by Unix login. Only a lead changes it, each change is an
/// audit event (who, whom, the role before and after) in the same transaction, and the last
/// lead can be neither removed nor demoted.
extension InboxDatabase {
    /// The members and their roles, by login.
    public func teamMembers() throws -> [(login: String, role: Role)] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT login, role FROM team_member ORDER BY role, login").compactMap { r in
                Role(rawValue: r["role"]).map { (r["login"], $0) }
            }
        }
    }

    /// `login`'s role; read-only for anyone not on the team.
    public func role(of login: String) throws -> Role {
        try pool.read { db in try Self.role(of: login, in: db) }
    }

    /// `login`'s role inside the caller's transaction: the check that goes with the act.
    public static func role(of login: String, in db: Database) throws -> Role {
        try String.fetchOne(db, sql: "SELECT role FROM team_member WHERE login = ?", arguments: [login])
            .flatMap(Role.init(rawValue:)) ?? .readonly
    }

    /// Whether the inbox has a team at all (an inbox made by `rounds init` or `rounds demo`,
    /// or upgraded from `team.yml`). Without one, nobody has a role in it.
    public static func hasTeam(in db: Database) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM team_member)") ?? false
    }

    public func hasTeam() throws -> Bool { try pool.read { try Self.hasTeam(in: $0) } }

    /// `login`'s role when the inbox has a team (read-only if they are not on it), nil when it
    /// has none: one query, for the check that goes with every moderator action.
    public static func teamRole(of login: String, in db: Database) throws -> Role? {
        guard let row = try Row.fetchOne(db, sql: """
            SELECT (SELECT role FROM team_member WHERE login = ?) AS role, EXISTS (SELECT 1 FROM team_member) AS team
            """, arguments: [login]), row["team"] as Bool else { return nil }
        return (row["role"] as String?).flatMap(Role.init(rawValue:)) ?? .readonly
    }

    /// Throws unless `login` is a lead, read in the same transaction as what follows.
    public static func requireLead(_ login: String, _ what: String, in db: Database) throws {
        let role = try role(of: login, in: db)
        guard role == .lead else { throw TeamRefusal("only a lead may \(what); \(login) is \(role.rawValue == "readonly" ? "not on this inbox's team" : "a \(role.rawValue)")") }
    }

    /// `rounds init`: the first lead of an inbox that has no team yet.
    public func makeFirstLead(_ login: String) throws {
        try Self.checkLogin(login)
        try moderatorWrite { db in
            guard try !Self.hasTeam(in: db) else { throw TeamRefusal("this inbox already has a team; a lead adds members with rounds team add") }
            try Self.put(login, .lead, by: login, actorRole: "lead", before: nil, in: db)
            try db.execute(sql: "DELETE FROM setting WHERE key = 'team_from_file_pending'")
        }
    }

    /// `rounds team add`: adds `login` or changes their role. Leads only.
    public func setMember(_ login: String, role: Role, by actor: String) throws {
        try Self.checkLogin(login)
        guard role != .readonly else { throw TeamRefusal("roles are lead, moderator and trainee; remove someone to take theirs away") }
        try moderatorWrite { db in
            try Self.requireLead(actor, "change the team", in: db)
            let before = try Self.memberRole(login, in: db)
            guard before != role else { throw TeamRefusal("\(login) is already a \(role.rawValue)") }
            if before == .lead { try Self.keepALead(besides: login, in: db) }
            try Self.put(login, role, by: actor, actorRole: "lead", before: before, in: db)
        }
    }

    /// `rounds team remove`. Leads only; never the last lead.
    public func removeMember(_ login: String, by actor: String) throws {
        try moderatorWrite { db in
            try Self.requireLead(actor, "change the team", in: db)
            guard let before = try Self.memberRole(login, in: db) else { throw TeamRefusal("\(login) is not on the team") }
            if before == .lead { try Self.keepALead(besides: login, in: db) }
            try db.execute(sql: "DELETE FROM team_member WHERE login = ?", arguments: [login])
            try Self.appendAudit(AuditEvent(at: AuditEvent.nowMs(), moderator: actor, role: "lead", action: "team_remove",
                                            detail: login, stateBefore: before.rawValue, stateAfter: nil), in: db)
        }
    }

    /// Members from a file, all in one transaction, each audited (`rounds team import`, and
    /// the one-time upgrade from `team.yml`). `actor` nil: the upgrade, recorded as `system`.
    public func importMembers(_ members: [(login: String, role: Role)], source: String, by actor: String?) throws -> Int {
        for m in members { try Self.checkLogin(m.login) }
        return try moderatorWrite { db in
            if let actor { try Self.requireLead(actor, "import a team", in: db) }
            var changed = 0
            for m in members where m.role != .readonly {
                let before = try Self.memberRole(m.login, in: db)
                guard before != m.role else { continue }
                if before == .lead { try Self.keepALead(besides: m.login, in: db) }
                try Self.put(m.login, m.role, by: actor ?? "rounds", actorRole: actor == nil ? "system" : "lead", before: before,
                             in: db, note: "from \(source)")
                changed += 1
            }
            return changed
        }
    }

    /// The one-time upgrade: an inbox used before teams lived in it takes `members` (its
    /// `team.yml`) once, recorded in the audit log, so nobody is locked out. Returns whether
    /// it happened now.
    /// `members` is read only then: most opens need no team file at all.
    public func adoptTeamFromFileOnce(_ members: () throws -> [(login: String, role: Role)], source: String) throws -> Bool {
        let pending = try pool.read { db in
            try String.fetchOne(db, sql: "SELECT value FROM setting WHERE key = 'team_from_file_pending'") == "1"
                && !Self.hasTeam(in: db)
        }
        guard pending else { return false }
        _ = try importMembers(try members(), source: source, by: nil)
        try pool.write { db in try db.execute(sql: "DELETE FROM setting WHERE key = 'team_from_file_pending'") }
        return true
    }

    static func memberRole(_ login: String, in db: Database) throws -> Role? {
        try String.fetchOne(db, sql: "SELECT role FROM team_member WHERE login = ?", arguments: [login]).flatMap(Role.init(rawValue:))
    }

    static func keepALead(besides login: String, in db: Database) throws {
        let others = try Int.fetchOne(db, sql: "SELECT count(*) FROM team_member WHERE role = 'lead' AND login != ?", arguments: [login]) ?? 0
        guard others > 0 else { throw TeamRefusal("\(login) is the last lead; make someone else a lead first") }
    }

    static func put(_ login: String, _ role: Role, by actor: String, actorRole: String, before: Role?, in db: Database,
                    note: String? = nil) throws {
        try db.execute(sql: """
            INSERT INTO team_member (login, role, since) VALUES (?, ?, ?)
            ON CONFLICT (login) DO UPDATE SET role = excluded.role, since = excluded.since
            """, arguments: [login, role.rawValue, AuditEvent.nowMs()])
        try appendAudit(AuditEvent(at: AuditEvent.nowMs(), moderator: actor, role: actorRole, action: before == nil ? "team_add" : "team_role",
                                   detail: note.map { "\(login) (\($0))" } ?? login, stateBefore: before?.rawValue, stateAfter: role.rawValue), in: db)
    }

    /// Unix logins: letters, digits, `_ - . @ $` (directory logins such as `ana@clinic.example`),
    /// not starting with `-` or `.`: a login never carries a terminal escape or a formula into a
    /// screen or an export.
    static func checkLogin(_ login: String) throws {
        let ok = !login.isEmpty && login.utf8.count <= 64 && login.utf8.allSatisfy { b in
            (b >= 97 && b <= 122) || (b >= 65 && b <= 90) || (b >= 48 && b <= 57) || b == 95 || b == 45 || b == 46 || b == 64 || b == 36
        } && ![45, 46, 64].contains(login.utf8.first)
        guard ok else { throw TeamRefusal("'\(UntrustedText.line(login))' is not a Unix login (letters, digits, _ - . @ $)") }
    }
}
