import ArgumentParser
import Foundation
import InboxModel
import Store

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "List the audit log, or verify its hash chain.",
        subcommands: [AuditListCommand.self, AuditVerifyCommand.self],
        defaultSubcommand: AuditListCommand.self
    )
}

struct AuditListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List audit events, oldest first.")

    @OptionGroup var store: StoreOptions
    @Option(help: ArgumentHelp("Only events at or after this time (ISO 8601 or YYYY-MM-DD, UTC).", valueName: "TIME"))
    var since: String?
    @Option(help: "Only this moderator's events.") var moderator: String?

    func run() throws {
        var from: Date?
        if let since {
            from = try CommandTimes.time(since, option: "--since", zone: TimeZone(identifier: "UTC")!)
        }
        let iso = ISO8601DateFormatter()
        let inbox = try store.open()
        // Details hold reply texts and notes about patients: leads only.
        let details = try inbox.role(of: Moderator.login) == .lead
        if !details { FileHandle.standardError.write(Data("rounds: details (reply texts, notes) are shown to leads only\n".utf8)) }
        for e in try inbox.auditEvents(since: from, moderator: moderator) {
            var line = "\(e.id)  \(iso.string(from: Date(timeIntervalSince1970: Double(e.at) / 1000)))  \(e.moderator) (\(e.role))  \(e.action)"
            if let m = e.messageID { line += "  message \(m)" }
            if let s = e.stateBefore, let a = e.stateAfter, s != a { line += "  \(s) -> \(a)" }
            if e.action.hasPrefix("team_") { line += "  \(e.stateBefore ?? "-") -> \(e.stateAfter ?? "-")" }
            if let r = e.reasonCode { line += "  reason \(r)" }
            if let t = e.templateID { line += "  template \(t)" }
            if details || e.action.hasPrefix("team_"), let d = e.detail, e.action != "reply_queued" { line += "  \"\(d.prefix(80))\"" }
            print(UntrustedText.line(line))
        }
    }
}

struct AuditVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check the audit log's hash chain: exit 0 when intact, 1 naming the first broken event."
    )

    @OptionGroup var store: StoreOptions

    func run() throws {
        switch try store.open().verifyAuditChain() {
        case .intact(let n):
            print("\(n) events, chain intact")
        case let .broken(_, id, reason):
            print("chain broken at event \(id): \(reason)")
            throw ExitCode(1)
        }
    }
}
