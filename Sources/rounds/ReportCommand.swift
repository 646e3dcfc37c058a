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
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = zone
        var from = cal.startOfDay(for: Date())
        if let date {
            let p = date.split(separator: "-").compactMap { Int($0) }
            guard p.count == 3, let d = cal.date(from: DateComponents(year: p[0], month: p[1], day: p[2])) else {
                throw ValidationError("--date '\(date)' is not a day; use YYYY-MM-DD")
            }
            from = d
        }
        let to = cal.date(byAdding: .day, value: 1, to: from) ?? from.addingTimeInterval(86_400)
        let report = try store.open().dayReport(from: from, to: to, timeZone: zone,
                                                targets: policies.organization.response_targets_minutes, stopWords: Self.stopWords)
        let f = DateFormatter()
        f.dateFormat = "yyyy-MM-dd"
        f.timeZone = zone
        let title = "\(policies.organization.name): social media, \(f.string(from: from))"
        let text = format == .html ? DayReportHTML.render(report, title: title, zone: zone) : DayReportText.render(report, title: title, zone: zone)
        if let output {
            let fd = open(output, O_CREAT | O_TRUNC | O_WRONLY, 0o600)
            guard fd >= 0 else { throw UserError("cannot write \(output): \(String(cString: strerror(errno)))") }
            let h = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
            h.write(Data(text.utf8))
        } else {
            print(text, terminator: "")
        }
    }
}
