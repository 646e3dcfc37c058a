import ArgumentParser
import Console
import ConsoleAdapters
import Foundation
import InboxModel
import Policy
import Reports
import Store
import Terminal

struct ConsoleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console",
        abstract: "Open the moderation console on the inbox (the default command).",
        discussion: """
            You act as your Unix login; your role comes from Policies/team.yml (leads, \
            moderators, trainees). Anyone not in that file gets a read-only console. Press ? \
            inside for every key.
            """
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var policy: PolicyOptions

    func run() throws { try Self.start(ConsoleLaunch(db: store.db, policies: policy.policies)) }

    static func start(_ launch: ConsoleLaunch) throws {
        let directory = try PolicyCLI.directory(launch.policies)
        let organization = try PolicyCLI.reportingPolicyErrors { try PolicySet.loadOrganization(from: directory) }
        let team = try PolicyCLI.reportingPolicyErrors { try Team.load(from: directory) }
        let inbox = try StoreOptions.open(launch.db)
        let login = Moderator.login
        let role = team.role(of: login).flatMap(Role.init(rawValue:)) ?? .readonly
        // The rest of the policies (word lists, templates, the reply guard) load while the first
        // screen is drawn; the console waits for them before it takes the first key.
        let deferred = DeferredConsolePolicy(directory: directory, organization: organization)
        try Self.open(inbox: inbox, policy: deferred, organization: organization, moderator: login, role: role,
                      afterFirstFrame: { try deferred.wait() })
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
                     afterFirstFrame: (() throws -> Void)? = nil) throws {
        let keys = try keyMap()
        let store = SQLiteConsoleStore(inbox: inbox, role: role.rawValue, reader: moderator)
        store.undoWindow = TimeInterval(organization.replyUndoSeconds)
        let zone = TimeZone(identifier: organization.timezone) ?? .current
        do {
            try ConsoleApp.run(store: store, policy: policy, moderator: moderator, role: role, keyMap: keys, timeZone: zone,
                               exporter: { _, _ in exportToday(inbox: inbox, zone: zone, moderator: moderator) },
                               afterFirstFrame: afterFirstFrame)
        } catch let e as PolicyError {
            throw UserError("cannot open the console: \(e.description)")
        } catch {
            throw UserError("cannot open the console: \(error)")
        }
    }
}

/// `:export` in the console: today's actions as CSV in the current folder, owner-only, audited.
func exportToday(inbox: InboxDatabase, zone: TimeZone, moderator: String) -> Result<String, Refusal> {
    var cal = Calendar(identifier: .gregorian)
    cal.timeZone = zone
    let from = cal.startOfDay(for: Date())
    let to = cal.date(byAdding: .day, value: 1, to: from) ?? from.addingTimeInterval(86_400)
    let f = DateFormatter()
    f.dateFormat = "yyyy-MM-dd"
    f.timeZone = zone
    let path = FileManager.default.currentDirectoryPath + "/rounds-export-\(f.string(from: from)).csv"
    do {
        var sink = try ExportSink(file: path)
        var writer = ExportWriter(format: .csv, includeText: false)
        sink.write(writer.header())
        try inbox.exportActions(from: from, to: to, includeText: false) { sink.write($0, with: &writer) }
        let digest = try sink.finish() ?? ""
        try Data("\(digest)  \((path as NSString).lastPathComponent)\n".utf8).write(to: URL(fileURLWithPath: path + ".sha256"))
        chmod(path + ".sha256", 0o600)
        try inbox.audit(AuditEvent(at: Int64(Date().timeIntervalSince1970 * 1000), moderator: moderator, role: "lead",
                                   action: "export", detail: "\(writer.count) actions csv -> \(path)"))
        return .success(path)
    } catch {
        return .failure(Refusal("Export failed: \(error)"))
    }
}

struct OutboxCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outbox",
        abstract: "List queued replies as JSON Lines (pending, ready or cancelled).",
        discussion: "A pending reply whose undo window is over is listed as ready. Delivery to the platforms is a later step."
    )

    @OptionGroup var store: StoreOptions

    @Option(help: "Only replies in this state: pending, ready or cancelled.")
    var state: String?

    func validate() throws {
        if let state, !["pending", "ready", "cancelled"].contains(state) {
            throw ValidationError("unknown --state '\(state)'; use pending, ready or cancelled")
        }
    }

    func run() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        for entry in try store.open().outbox(state: state) {
            print(UntrustedText.json(String(decoding: try encoder.encode(entry), as: UTF8.self)))
        }
    }
}
