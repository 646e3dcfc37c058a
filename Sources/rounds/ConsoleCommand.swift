import ArgumentParser
import Console
import ConsoleAdapters
import Foundation
import InboxModel
import Policy
import Reports
import SafeFiles
import Store
import Terminal

struct ConsoleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console",
        abstract: "Open the moderation console on the inbox (the default command).",
        discussion: """
            You act as your Unix login; your role comes from the inbox's team (rounds team). \
            Anyone not on it gets a read-only console. Press ? inside for every key.
            """
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var policy: PolicyOptions

    func run() throws { try Self.start(ConsoleLaunch(db: store.db, policies: policy.policies)) }

    static func start(_ launch: ConsoleLaunch) throws {
        let inbox = try StoreOptions.open(launch.db)
        // The policies a lead published into the inbox, unless a lead chose others (audited).
        let published = try PublishedPolicies.folder(inbox, option: launch.policies)
        defer { PublishedPolicies.cleanUp(published) }
        let directory = try published ?? PolicyCLI.directory(launch.policies)
        let organization = try PolicyCLI.reportingPolicyErrors { try PolicySet.loadOrganization(from: directory) }
        try TeamFile.adoptOnce(inbox, policies: directory)
        try TeamFile.checkChosenPolicies(inbox, option: launch.policies, directory: directory, command: "the console")
        let login = Moderator.login
        // The role comes from the inbox's team, never from a folder the user chooses.
        let role = try inbox.role(of: login)
        // The rest of the policies (word lists, templates, the reply guard) load while the first
        // screen is drawn; the console waits for them before it takes the first key.
        let deferred = DeferredConsolePolicy(directory: directory, organization: organization)
        try Self.open(inbox: inbox, policy: deferred, organization: organization, moderator: login, role: role,
                      policyVersion: { (try? deferred.wait())?.policies.version }, afterFirstFrame: { try deferred.wait() })
    }

    /// The moderator's key bindings: `$ROUNDS_KEYS`, else `~/.config/rounds/keys.conf`.
    static func keyMap() throws -> KeyMap {
        let env = ProcessInfo.processInfo.environment
        let path = env["ROUNDS_KEYS"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (env["HOME"] ?? NSHomeDirectory()) + "/.config/rounds/keys.conf"
        let (map, errors) = KeyMap.load(path: path)
        guard errors.isEmpty else {
            throw UserError(errors.map { "\(path):\($0.line): \($0.message)" }.joined(separator: "\n")
                            + "\nFix those lines (see ? in the console for command names) or remove the file.")
        }
        return map
    }

    static func open(inbox: InboxDatabase, policy: ConsolePolicy, organization: Organization, moderator: String, role: Role,
                     policyVersion: @escaping () -> String?, afterFirstFrame: (() throws -> Void)? = nil) throws {
        let keys = try keyMap()
        let store = SQLiteConsoleStore(inbox: inbox, role: role.rawValue, reader: moderator)
        store.policyVersion = policyVersion
        store.undoWindow = TimeInterval(organization.replyUndoSeconds)
        let zone = TimeZone(identifier: organization.timezone) ?? .current
        // The session is on the record: who, with which role, on which terminal. A console
        // killed outright leaves an open without its close.
        let terminal = ttyname(0).map { String(cString: $0) } ?? "no terminal"
        let policies = (try? inbox.policyVersionInForce()).flatMap { $0 }.map { "published policies \($0)" } ?? "policies from a folder"
        func session(_ action: String) {
            _ = try? inbox.audit(AuditEvent(at: AuditEvent.nowMs(), moderator: moderator, role: role.rawValue,
                                            action: action, detail: "\(terminal), \(policies)"))
        }
        session("session_open")
        defer { session("session_close") }
        do {
            try ConsoleApp.run(store: store, policy: policy, moderator: moderator, role: role, keyMap: keys, timeZone: zone,
                               idleLockMinutes: organization.idleLockMinutes,
                               exporter: { _, _, folder in exportToday(inbox: inbox, zone: zone, moderator: moderator, folder: folder) },
                               afterFirstFrame: afterFirstFrame)
        } catch let e as PolicyError {
            throw UserError("cannot open the console: \(e.description)")
        } catch {
            throw UserError("cannot open the console: \(error)")
        }
    }
}

/// `:export [FOLDER]` in the console: today's actions as CSV, owner-only, recorded before the
/// file appears. The folder is named once (`:export FOLDER`, kept in the inbox and audited);
/// it must be a real folder that not every user can write to.
func exportToday(inbox: InboxDatabase, zone: TimeZone, moderator: String, folder: String?) -> Result<String, Refusal> {
    do {
        let dir: String
        guard try inbox.role(of: moderator) == .lead else { return .failure(Refusal("Only a lead may export.")) }
        if let folder {
            dir = try ExportFolder.check(folder)
            try inbox.setSetting("export_folder", dir)
            try inbox.audit(AuditEvent(at: AuditEvent.nowMs(), moderator: moderator, role: "lead", action: "export_folder", detail: dir))
        } else if let saved = try inbox.setting("export_folder") {
            dir = try ExportFolder.check(saved)
        } else {
            return .failure(Refusal("Name the export folder once: :export /path/to/folder"))
        }
        let from = CommandTimes.today(zone: zone)
        let to = CommandTimes.nextDay(after: from, zone: zone)
        let f = DateFormatter()
        f.dateFormat = "yyyy-MM-dd-HHmmss"
        f.timeZone = zone
        let path = dir + "/rounds-export-\(f.string(from: Date())).csv"
        var writer = ExportWriter(format: .csv, includeText: false)
        try RecordedOutput.write(to: path, produce: { sink in
            sink.write(writer.header())
            try inbox.exportActions(from: from, to: to, includeText: false) { sink.write($0, with: &writer) }
        }, record: { sha in
            try inbox.moderatorWrite { db in
                try InboxDatabase.requireLead(moderator, "export", in: db)
                try InboxDatabase.appendAudit(AuditEvent(at: AuditEvent.nowMs(), moderator: moderator, role: "lead", action: "export",
                                                         detail: "\(writer.count) actions csv -> \(path) sha256 \(sha ?? "")"), in: db)
            }
        }, recordFailure: { reason in
            _ = try? inbox.audit(AuditEvent(at: AuditEvent.nowMs(), moderator: moderator, role: "lead", action: "export_failed", detail: "\(path): \(reason)"))
        })
        return .success(path)
    } catch {
        return .failure(Refusal("Export failed: \(error)"))
    }
}

/// Where `:export` may write.
enum ExportFolder {
    static func check(_ folder: String) throws -> String {
        var st = stat()
        guard lstat(folder, &st) == 0 else { throw UserError("\(folder): no such folder") }
        guard st.st_mode & S_IFMT == S_IFDIR else { throw UserError("\(folder) is not a folder (a link is not accepted); name the folder itself") }
        guard st.st_mode & 0o002 == 0 else { throw UserError("\(folder) can be written by every user; name a folder only your team can write to") }
        return folder.hasSuffix("/") && folder.count > 1 ? String(folder.dropLast()) : folder
    }
}

struct OutboxCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outbox",
        abstract: "List queued actions (replies, hides, unhides, deletes) and their delivery as JSON Lines.",
        discussion: """
            A pending action whose undo window is over is listed as ready. rounds serve or rounds deliver \
            takes ready actions to the platforms: sending, then sent, retrying or failed (docs/operations.md).
            """
    )

    @OptionGroup var store: StoreOptions

    static let states = ["pending", "ready", "sending", "sent", "retrying", "failed", "cancelled"]
    static let actions = ["reply", "hide", "unhide", "delete"]

    @Option(help: ArgumentHelp("Only actions in this state: \(states.joined(separator: ", ")).", valueName: "STATE"))
    var state: String?

    @Option(help: ArgumentHelp("Only this action: \(actions.joined(separator: ", ")).", valueName: "ACTION"))
    var action: String?

    func validate() throws {
        if let state, !Self.states.contains(state) {
            throw ValidationError("unknown --state '\(UntrustedText.line(state))'; use \(Self.states.joined(separator: ", "))")
        }
        if let action, !Self.actions.contains(action) {
            throw ValidationError("unknown --action '\(UntrustedText.line(action))'; use \(Self.actions.joined(separator: ", "))")
        }
    }

    func run() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        for entry in try store.open().outbox(state: state, action: action) {
            print(UntrustedText.json(String(decoding: try encoder.encode(entry), as: UTF8.self)))
        }
    }
}
