import ArgumentParser
import Foundation
import Policy
import Reports
import Store

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "The end-of-day summary: volume, flags, actions, response times against targets, open emergencies, review sentiment and topic surges."
    )

    enum Format: String, ExpressibleByArgument { case text, html }

    @OptionGroup var store: StoreOptions
    @OptionGroup var policy: PolicyOptions
    @Option(help: ArgumentHelp("The day, in the organisation's time zone (default: today).", valueName: "YYYY-MM-DD")) var date: String?
    @Option(help: "text or html (a self-contained page with an SVG chart).") var format: Format = .text
    @Option(name: .shortAndLong, help: ArgumentHelp("Output file (default: standard output).", valueName: "FILE")) var output: String?

    static let stopWords: Set<String> = [
        "the", "and", "for", "are", "was", "were", "you", "your", "with", "that", "this", "have", "has", "had", "not",
        "but", "what", "can", "does", "should", "how", "they", "just", "would", "about", "from", "will", "there",
        "dont", "cant", "its", "our", "out", "all", "any", "get", "got", "when", "who", "why", "where", "which", "been",
        "one", "also", "very", "really", "thanks", "thank", "please", "hello", "lol", "here", "today", "know", "need",
        "los", "las", "que", "por", "para", "con", "mis", "una", "pero", "muy", "del", "como", "mas", "esta", "estoy",
        "tengo", "hay", "porque", "cuando", "sin", "gracias", "hola", "favor", "now", "after", "before", "days", "day", "hours",
        "time", "week", "min", "mins", "still", "some", "like", "going", "back", "want", "them", "him", "her", "his", "she", "mom", "son",
    ]

    func run() throws {
        let policies = try policy.load()
        let zone = TimeZone(identifier: policies.organization.timezone) ?? .current
        let from = try date.map { try CommandTimes.day($0, option: "--date", zone: zone) } ?? CommandTimes.today(zone: zone)
        let to = CommandTimes.nextDay(after: from, zone: zone)
        let inbox = try store.open()
        let report = try inbox.dayReport(from: from, to: to, timeZone: zone,
                                                targets: policies.organization.response_targets_minutes, stopWords: Self.stopWords)
        let f = DateFormatter()
        f.dateFormat = "yyyy-MM-dd"
        f.timeZone = zone
        let title = "\(policies.organization.name): social media, \(f.string(from: from))"
        let text = format == .html ? DayReportHTML.render(report, title: title, zone: zone) : DayReportText.render(report, title: title, zone: zone)
        // The report quotes the words people used (topic surges): on the record, like an export.
        let what = "\(f.string(from: from)) \(format.rawValue) -> \(output ?? "stdout")"
        func event(_ action: String, _ detail: String) -> AuditEvent {
            AuditEvent(at: AuditEvent.nowMs(), moderator: Moderator.login, role: "report", action: action, detail: detail)
        }
        try RecordedOutput.write(to: output, produce: { sink in sink.write(text) },
                                 record: { sha in try inbox.audit(event("report", what + (sha.map { " sha256 \($0)" } ?? ""))) },
                                 recordFailure: { reason in _ = try? inbox.audit(event("report_failed", "\(what): \(reason)")) })
    }
}
