import Foundation
import InboxModel
import Store

/// The report as plain text, with a sparkline of the day's volume.
public enum DayReportText {
    static func minutes(_ m: Double?) -> String {
        guard let m else { return "-" }
        return m < 60 ? String(format: "%.0f min", m) : String(format: "%.1f h", m / 60)
    }

    static func sparkline(_ values: [Int]) -> String {
        let bars = Array("▁▂▃▄▅▆▇█")
        let top = max(values.max() ?? 0, 1)
        return String(values.map { $0 == 0 ? " " : bars[min(bars.count - 1, $0 * (bars.count - 1) / top)] })
    }

    public static func render(_ r: DayReport, title: String, zone: TimeZone) -> String {
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
        for x in r.actionsByModerator { out += "  \(UntrustedText.line(x.moderator).padding(toLength: 14, withPad: " ", startingAt: 0)) \(x.action.padding(toLength: 16, withPad: " ", startingAt: 0)) \(x.count)\n" }
        let failed = r.deliveries.first { $0.state == "failed" }?.count ?? 0
        out += "\nDelivered to the platforms: " + (r.deliveries.isEmpty ? "nothing queued" : r.deliveries.map { "\($0.state) \($0.count)" }.joined(separator: ", "))
        out += failed > 0 ? "; \(failed) FAILED\n" : "\n"
        for f in r.deliveryFailures { out += "  \(UntrustedText.line(f.reason)): \(f.count)\n" }
        out += "\nReview sentiment: " + (r.reviewSentiment.isEmpty ? "no reviews" : r.reviewSentiment.map { "\($0.sentiment) \($0.count)" }.joined(separator: ", ")) + "\n"
        out += "\nTopic surges (many people asked the same thing):\n"
        if r.surges.isEmpty { out += "  none\n" }
        for s in r.surges {
            out += "  \(s.messages) messages about \"\(UntrustedText.line(s.topic))\": consider answering once in a public post or FAQ\n"
        }
        return out
    }
}
