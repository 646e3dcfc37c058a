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
            guard let d = parseTime(since) else { throw ValidationError("--since '\(since)' is not a time; use 2026-11-29 or 2026-11-29T08:00:00Z") }
            from = d
        }
        let iso = ISO8601DateFormatter()
        for e in try store.open().auditEvents(since: from, moderator: moderator) {
            var line = "\(e.id)  \(iso.string(from: Date(timeIntervalSince1970: Double(e.at) / 1000)))  \(e.moderator) (\(e.role))  \(e.action)"
            if let m = e.messageID { line += "  message \(m)" }
            if let s = e.stateBefore, let a = e.stateAfter, s != a { line += "  \(s) -> \(a)" }
            if let r = e.reasonCode { line += "  reason \(r)" }
            if let t = e.templateID { line += "  template \(t)" }
            if let d = e.detail, e.action != "reply_queued" { line += "  \"\(d.prefix(80))\"" }
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

/// `2026-11-29`, `2026-11-29T08:00:00Z` and the other ISO 8601 forms.
func parseTime(_ s: String) -> Date? {
    let iso = ISO8601DateFormatter()
    if let d = iso.date(from: s) { return d }
    iso.formatOptions = [.withFullDate]
    return iso.date(from: s)
}
