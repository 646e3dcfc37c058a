import ArgumentParser
import Foundation
import Policy
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
        let text = format == .html ? ReportHTML.render(report, title: title, zone: zone) : ReportText.render(report, title: title, zone: zone)
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

/// The report as plain text, with a sparkline of the day's volume.
enum ReportText {
    static func minutes(_ m: Double?) -> String {
        guard let m else { return "-" }
        return m < 60 ? String(format: "%.0f min", m) : String(format: "%.1f h", m / 60)
    }

    static func sparkline(_ values: [Int]) -> String {
        let bars = Array("▁▂▃▄▅▆▇█")
        let top = max(values.max() ?? 0, 1)
        return String(values.map { $0 == 0 ? " " : bars[min(bars.count - 1, $0 * (bars.count - 1) / top)] })
    }

    static func render(_ r: DayReport, title: String, zone: TimeZone) -> String {
        var out = "\(title)\n\n"
        out += "Messages received: \(r.received)\n"
        out += "By hour (00-23):  |\(sparkline(r.volumeByHour))|  peak \(r.volumeByHour.max() ?? 0) at \(String(format: "%02d:00", r.volumeByHour.firstIndex(of: r.volumeByHour.max() ?? 0) ?? 0))\n\n"
        out += "Flags by kind:\n"
        for x in r.flagsByKind { out += "  \(x.flag.padding(toLength: 18, withPad: " ", startingAt: 0)) \(x.kind.padding(toLength: 8, withPad: " ", startingAt: 0)) \(x.count)\n" }
        out += "\nFirst response (target):\n"
        for x in r.responses {
            out += "  \(x.flag.padding(toLength: 18, withPad: " ", startingAt: 0)) \(x.answered)/\(x.messages) answered, median \(minutes(x.medianMinutes)), p90 \(minutes(x.p90Minutes))"
            out += x.targetMinutes.map { " (target \(minutes(Double($0))))" } ?? ""
            out += x.breaches > 0 ? ", \(x.breaches) BREACHED\n" : "\n"
        }
        out += "\nUrgent still open: \(r.urgentOpen.count)\n"
        let iso = DateFormatter()
        iso.dateFormat = "MM-dd HH:mm"
        iso.timeZone = zone
        for u in r.urgentOpen.prefix(10) { out += "  message \(u.id), \(u.severity ?? "review"), since \(iso.string(from: u.receivedAt))\n" }
        out += "\nActions by moderator:\n"
        for x in r.actionsByModerator { out += "  \(Sanitize.line(x.moderator).padding(toLength: 14, withPad: " ", startingAt: 0)) \(x.action.padding(toLength: 16, withPad: " ", startingAt: 0)) \(x.count)\n" }
        out += "\nReview sentiment: " + (r.reviewSentiment.isEmpty ? "no reviews" : r.reviewSentiment.map { "\($0.sentiment) \($0.count)" }.joined(separator: ", ")) + "\n"
        out += "\nTopic surges (many people asked the same thing):\n"
        if r.surges.isEmpty { out += "  none\n" }
        for s in r.surges {
            out += "  \(s.messages) messages about \"\(Sanitize.line(s.topic))\": consider answering once in a public post or FAQ\n"
        }
        return out
    }
}

/// The report as one self-contained HTML page (no scripts, no external files), every
/// value escaped.
enum ReportHTML {
    static func esc(_ s: String) -> String {
        var out = ""
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                if u.value < 0x20 || (0x7F...0x9F).contains(u.value) || (0x202A...0x202E).contains(u.value) || (0x2066...0x2069).contains(u.value) {
                    out += "&#xFFFD;"
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out
    }

    static func chart(_ values: [Int]) -> String {
        let w = 24 * 22, h = 120
        let top = max(values.max() ?? 0, 1)
        var svg = #"<svg xmlns="http://www.w3.org/2000/svg" width="\#(w + 40)" height="\#(h + 30)" role="img" aria-label="Messages by hour">"#
        for (i, v) in values.enumerated() {
            let bh = v * h / top
            let hour = String(format: "%02d", i)
            svg += ##"<rect x="\##(30 + i * 22)" y="\##(h - bh)" width="18" height="\##(bh)" fill="#3b6ea5"><title>\##(hour):00: \##(v)</title></rect>"##
            if i % 3 == 0 { svg += #"<text x="\#(30 + i * 22)" y="\#(h + 15)" font-size="10">\#(hour)</text>"# }
        }
        svg += #"<text x="0" y="10" font-size="10">\#(top)</text></svg>"#
        return svg
    }

    static func render(_ r: DayReport, title: String, zone: TimeZone) -> String {
        func table(_ head: [String], _ rows: [[String]]) -> String {
            "<table><tr>" + head.map { "<th>\(esc($0))</th>" }.joined() + "</tr>"
                + rows.map { "<tr>" + $0.map { "<td>\(esc($0))</td>" }.joined() + "</tr>" }.joined() + "</table>"
        }
        var html = "<!doctype html><html><head><meta charset=\"utf-8\"><title>\(esc(title))</title>"
        html += "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px}.breach{color:#b00}</style></head><body>"
        html += "<h1>\(esc(title))</h1><p>Messages received: \(r.received)</p><h2>Volume by hour</h2>\(chart(r.volumeByHour))"
        html += "<h2>Flags by kind</h2>" + table(["flag", "kind", "messages"], r.flagsByKind.map { [$0.flag, $0.kind, "\($0.count)"] })
        html += "<h2>First response</h2>" + table(["flag", "answered", "median", "p90", "target", "breaches"], r.responses.map {
            [$0.flag, "\($0.answered)/\($0.messages)", ReportText.minutes($0.medianMinutes), ReportText.minutes($0.p90Minutes),
             $0.targetMinutes.map { ReportText.minutes(Double($0)) } ?? "-", "\($0.breaches)"]
        })
        html += "<h2>Urgent still open: \(r.urgentOpen.count)</h2>"
        html += "<h2>Actions by moderator</h2>" + table(["moderator", "action", "count"], r.actionsByModerator.map { [$0.moderator, $0.action, "\($0.count)"] })
        html += "<h2>Review sentiment</h2>" + table(["sentiment", "reviews"], r.reviewSentiment.map { [$0.sentiment, "\($0.count)"] })
        html += "<h2>Topic surges</h2>" + table(["topic", "messages", "suggestion"], r.surges.map {
            [$0.topic, "\($0.messages)", "answer once in a public post or FAQ"]
        })
        return html + "</body></html>\n"
    }
}
