import ArgumentParser
import Foundation
import InboxModel
import Policy
import Store

/// `rounds init`: a new inbox whose first lead is the caller.
struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create an inbox and make yourself (your Unix login) its first lead."
    )

    @OptionGroup var store: StoreOptions

    func run() throws {
        let inbox = try store.open()
        try TeamCommand.refusing { try inbox.makeFirstLead(Moderator.login) }
        print("\(inbox.path): \(Moderator.login) is its first lead; add the team with rounds team add LOGIN --role ROLE")
    }
}

/// `rounds team`: who may do what in this inbox. Only a lead changes it; every change is audited.
struct TeamCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "team",
        abstract: "List or change the inbox's team (leads only change it; every change is audited).",
        subcommands: [TeamListCommand.self, TeamAddCommand.self, TeamRemoveCommand.self, TeamImportCommand.self],
        defaultSubcommand: TeamListCommand.self
    )

    /// A team refusal is a message and exit 1, like any refusal.
    static func refusing<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let r as TeamRefusal { throw UserError(r.description) }
    }
}

struct TeamListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "The team, by role.")
    @OptionGroup var store: StoreOptions

    func run() throws {
        let members = try store.open().teamMembers()
        if members.isEmpty { print("no team yet: the inbox's creator runs rounds init"); return }
        for m in members { print("\(m.role.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)) \(m.login)") }
    }
}

struct TeamAddCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "add", abstract: "Add LOGIN with a role, or change their role.")
    @OptionGroup var store: StoreOptions
    @Argument(help: "A Unix login.") var login: String
    @Option(help: "lead, moderator or trainee.") var role: String

    func run() throws {
        guard let r = Role(rawValue: role), r != .readonly else { throw ValidationError("--role must be lead, moderator or trainee") }
        try TeamCommand.refusing { try store.open().setMember(login, role: r, by: Moderator.login) }
        print("\(login) is a \(r.rawValue)")
    }
}

struct TeamRemoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "remove", abstract: "Take LOGIN off the team (never the last lead).")
    @OptionGroup var store: StoreOptions
    @Argument(help: "A Unix login.") var login: String

    func run() throws {
        try TeamCommand.refusing { try store.open().removeMember(login, by: Moderator.login) }
        print("\(login) is no longer on the team")
    }
}

struct TeamImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Add or change members from a team.yml file (leads, moderators, trainees); each change is audited."
    )
    @OptionGroup var store: StoreOptions
    @Argument(help: "A folder holding team.yml, or the file itself.") var file: String

    func run() throws {
        let url = URL(fileURLWithPath: file)
        let dir = url.lastPathComponent == "team.yml" ? url.deletingLastPathComponent() : url
        let team = try PolicyCLI.reportingPolicyErrors { try Team.load(from: dir) }
        let n = try TeamCommand.refusing {
            try store.open().importMembers(TeamFile.members(team), source: dir.appendingPathComponent("team.yml").path, by: Moderator.login)
        }
        print("\(n) team change\(n == 1 ? "" : "s") from \(dir.appendingPathComponent("team.yml").path)")
    }
}

/// `team.yml`: once a source of authority, now only a file to import from.
enum TeamFile {
    static func members(_ team: Team) -> [(login: String, role: Role)] {
        team.leads.map { ($0, Role.lead) } + team.moderators.map { ($0, Role.moderator) } + team.trainees.map { ($0, Role.trainee) }
    }

    /// Policies of the caller's choosing (`--policies` or `$ROUNDS_POLICIES`) decide what the
    /// reply guard lets through: on an inbox with a team only a lead may use them, and each use
    /// is recorded; anyone else gets the installed policies or nothing.
    static func checkChosenPolicies(_ inbox: InboxDatabase, option: String?, directory: URL, command: String) throws {
        let env = ProcessInfo.processInfo.environment["ROUNDS_POLICIES"].flatMap { $0.isEmpty ? nil : $0 }
        guard option != nil || env != nil, try inbox.hasTeam() else { return }
        let login = Moderator.login
        let role = try inbox.role(of: login)
        guard role == .lead else {
            try recordRefusal(inbox, login: login, what: "\(command) with policies from \(directory.path)")
            throw UserError("only a lead may run \(command) with policies of their choice (--policies or ROUNDS_POLICIES); without them the installed policies are used")
        }
        try inbox.audit(AuditEvent(at: AuditEvent.nowMs(), moderator: login, role: role.rawValue,
                                   action: "policies_override", detail: "\(command): \(directory.path)"))
    }

    /// An attempt beyond the caller's role, on the record (a forged policies folder shows up here).
    static func recordRefusal(_ inbox: InboxDatabase, login: String, what: String) throws {
        let role = try inbox.role(of: login)
        try inbox.audit(AuditEvent(at: AuditEvent.nowMs(), moderator: login, role: role.rawValue,
                                   action: "refused", detail: "\(what): leads only"))
    }

    /// The upgrade of an inbox used before teams lived in it: its team comes from the policies'
    /// `team.yml`, once, audited; said on standard error so the lead can check it.
    static func adoptOnce(_ inbox: InboxDatabase, policies directory: URL) throws {
        let source = directory.appendingPathComponent("team.yml").path
        let adopted = try inbox.adoptTeamFromFileOnce({ members(try PolicyCLI.reportingPolicyErrors { try Team.load(from: directory) }) },
                                                      source: source)
        if adopted {
            FileHandle.standardError.write(Data("rounds: this inbox's team was taken once from \(UntrustedText.line(source)) (audited); from now on leads change it with rounds team\n".utf8))
        }
    }
}
