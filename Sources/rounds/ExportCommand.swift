import ArgumentParser
import Foundation
import InboxModel
import Policy
import Reports
import Store

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export a day's moderator actions for compliance (minimum necessary by default).",
        discussion: """
            One row per action: time, moderator, role, action, reason code, platform, the \
            message's external id and kind, its flags, template id, the reply text for replies, \
            and the response time. No message bodies or author names unless --include-text \
            (which is itself audited). The file is created readable by its owner only, with \
            FILE.sha256 beside it.
            """
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var policy: PolicyOptions
    @Option(help: ArgumentHelp("The day, in the organisation's time zone (default: today).", valueName: "YYYY-MM-DD")) var date: String?
    @Option(help: ArgumentHelp("Start time instead of --date (ISO 8601).", valueName: "TIME")) var since: String?
    @Option(help: ArgumentHelp("End time with --since (ISO 8601; default now).", valueName: "TIME")) var until: String?
    @Option(help: "csv, json or jsonl.") var format: ExportFormat = .csv
    @Flag(help: "Add message bodies and author names and handles (audited).") var includeText = false
    @Option(name: .shortAndLong, help: ArgumentHelp("Output file (default: standard output).", valueName: "FILE")) var output: String?

    func validate() throws {
        if date != nil && (since != nil || until != nil) { throw ValidationError("use either --date or --since/--until") }
        if until != nil && since == nil { throw ValidationError("--until needs --since") }
    }

    func run() throws {
        let policies = try policy.load()
        let zone = TimeZone(identifier: policies.organization.timezone) ?? .current
        let (from, to) = try range(zone: zone)
        let inbox = try store.open()
        try TeamFile.adoptOnce(inbox, policies: policies.directory)
        let login = Moderator.login
        if includeText, try inbox.role(of: login) != .lead {
            try TeamFile.recordRefusal(inbox, login: login, what: "export --include-text")
            throw UserError("only a lead may export message text; \(login) is not a lead of this inbox (rounds team lists the team)")
        }
        let iso = ISO8601DateFormatter()
        let action = includeText ? "export_with_text" : "export"
        let span = "\(iso.string(from: from))..\(iso.string(from: to)) \(format.rawValue) -> \(output ?? "stdout")"
        var writer = ExportWriter(format: format, includeText: includeText)
        let digest = try RecordedOutput.write(to: output, produce: { sink in
            sink.write(writer.header())
            try inbox.exportActions(from: from, to: to, includeText: includeText) { row in sink.write(row, with: &writer) }
            sink.write(writer.footer())
        }, record: { sha in
            let what = sha.map { "\(writer.count) actions \(span) sha256 \($0)" } ?? span
            // The role is checked again in the transaction that records the export.
            try inbox.moderatorWrite { db in
                if includeText { try InboxDatabase.requireLead(login, "export message text", in: db) }
                let role = try InboxDatabase.role(of: login, in: db)
                try InboxDatabase.appendAudit(AuditEvent(at: AuditEvent.nowMs(), moderator: login, role: role.rawValue, action: action, detail: what), in: db)
            }
        }, recordFailure: { reason in
            _ = try? inbox.audit(AuditEvent(at: AuditEvent.nowMs(), moderator: login, role: "export", action: action + "_failed",
                                            detail: "\(span): \(reason)"))
        })
        if let output, let digest {
            FileHandle.standardError.write(Data("exported \(writer.count) actions to \(UntrustedText.line(output)) (sha256 \(digest.prefix(16))...)\n".utf8))
        }
    }

    func range(zone: TimeZone) throws -> (Date, Date) {
        if let since {
            let from = try CommandTimes.time(since, option: "--since", zone: zone)
            let to = try until.map { try CommandTimes.time($0, option: "--until", zone: zone) } ?? Date()
            return (from, to)
        }
        let day = try date.map { try CommandTimes.day($0, option: "--date", zone: zone) } ?? CommandTimes.today(zone: zone)
        return (day, CommandTimes.nextDay(after: day, zone: zone))
    }
}

extension ExportFormat: ExpressibleByArgument {}
