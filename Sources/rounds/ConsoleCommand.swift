import ArgumentParser
import Console
import Foundation
import Policy
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

    func run() throws {
        let policies = try policy.load()
        let inbox = try store.open()
        let login = Moderator.login
        let team: Team
        do {
            team = try Team.load(from: policies.directory)
        } catch let e as PolicyError {
            throw UserError(e.description)
        }
        let role = team.role(of: login).flatMap(Role.init(rawValue:)) ?? .readonly
        try Self.open(inbox: inbox, policies: policies, moderator: login, role: role)
    }

    static func open(inbox: InboxDatabase, policies: PolicySet, moderator: String, role: Role) throws {
        let store = SQLiteConsoleStore(inbox: inbox, role: role.rawValue)
        store.undoWindow = TimeInterval(policies.organization.replyUndoSeconds)
        let zone = TimeZone(identifier: policies.organization.timezone) ?? .current
        do {
            try ConsoleApp.run(store: store, policy: ConsolePolicyAdapter(policies), moderator: moderator, role: role, timeZone: zone)
        } catch {
            throw UserError("cannot open the console: \(error)")
        }
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
            print(String(decoding: try encoder.encode(entry), as: UTF8.self))
        }
    }
}
