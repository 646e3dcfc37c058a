import ArgumentParser
import Foundation
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
        var sink: ExportSink
        if let output {
            sink = try ExportSink(file: output)
        } else {
            sink = ExportSink.standardOutput()
        }
        var writer = ExportWriter(format: format, includeText: includeText)
        sink.write(writer.header())
        try inbox.exportActions(from: from, to: to, includeText: includeText) { row in
            sink.write(row, with: &writer)
        }
        sink.write(writer.footer())
        let digest = try sink.finish()
        let iso = ISO8601DateFormatter()
        try inbox.audit(AuditEvent(at: Int64(Date().timeIntervalSince1970 * 1000), moderator: Moderator.login, role: "export",
                                   action: includeText ? "export_with_text" : "export",
                                   detail: "\(writer.count) actions \(iso.string(from: from))..\(iso.string(from: to)) \(format.rawValue) -> \(output ?? "stdout")"))
        if let output, let digest {
            try Data("\(digest)  \((output as NSString).lastPathComponent)\n".utf8).write(to: URL(fileURLWithPath: output + ".sha256"))
            chmod(output + ".sha256", 0o600)
            FileHandle.standardError.write(Data("exported \(writer.count) actions to \(output) (sha256 \(digest.prefix(16))...)\n".utf8))
        }
    }

    func range(zone: TimeZone) throws -> (Date, Date) {
        if let since {
            guard let from = parseTime(since) else { throw ValidationError("--since '\(since)' is not a time") }
            guard let to = until.map(parseTime) ?? Date() else { throw ValidationError("--until '\(until ?? "")' is not a time") }
            return (from, to)
        }
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = zone
        let day: Date
        if let date {
            let parts = date.split(separator: "-").compactMap { Int($0) }
            guard parts.count == 3, let d = cal.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2])) else {
                throw ValidationError("--date '\(date)' is not a day; use YYYY-MM-DD")
            }
            day = d
        } else {
            day = cal.startOfDay(for: Date())
        }
        return (day, cal.date(byAdding: .day, value: 1, to: day) ?? day.addingTimeInterval(86_400))
    }
}

extension ExportFormat: ExpressibleByArgument {}
