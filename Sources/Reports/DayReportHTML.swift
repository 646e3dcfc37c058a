import Foundation
import InboxModel
import Store

/// The report as one self-contained HTML page (no scripts, no external files), every
/// value escaped.
public enum DayReportHTML {
    static func esc(_ s: String) -> String { UntrustedText.html(s) }

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

    public static func render(_ r: DayReport, title: String, zone: TimeZone) -> String {
        func table(_ head: [String], _ rows: [[String]]) -> String {
            "<table><tr>" + head.map { "<th>\(esc($0))</th>" }.joined() + "</tr>"
                + rows.map { "<tr>" + $0.map { "<td>\(esc($0))</td>" }.joined() + "</tr>" }.joined() + "</table>"
        }
        var html = "<!doctype html><html><head><meta charset=\"utf-8\"><title>\(esc(title))</title>"
        html += "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px}.breach{color:#b00}</style></head><body>"
        html += "<h1>\(esc(title))</h1><p>Messages received: \(r.received)</p><h2>Volume by hour</h2>\(chart(r.volumeByHour))"
        html += "<h2>Flags by kind</h2>" + table(["flag", "kind", "messages"], r.flagsByKind.map { [$0.flag, $0.kind, "\($0.count)"] })
        html += "<h2>First response</h2>" + table(["flag", "answered", "median", "p90", "target", "breaches"], r.responses.map {
            [$0.flag, "\($0.answered)/\($0.messages)", DayReportText.minutes($0.medianMinutes), DayReportText.minutes($0.p90Minutes),
             $0.targetMinutes.map { DayReportText.minutes(Double($0)) } ?? "-", "\($0.breaches)"]
        })
        html += "<h2>Urgent still open: \(r.urgentOpen.count)</h2>"
        html += "<h2>Actions by moderator</h2>" + table(["moderator", "action", "count"], r.actionsByModerator.map { [$0.moderator, $0.action, "\($0.count)"] })
        html += "<h2>Delivered to the platforms</h2>" + table(["delivery", "actions"], r.deliveries.map { [$0.state, "\($0.count)"] })
        if !r.deliveryFailures.isEmpty {
            html += "<h2>Deliveries failed</h2>" + table(["reason", "actions"], r.deliveryFailures.map { [$0.reason, "\($0.count)"] })
        }
        html += "<h2>Review sentiment</h2>" + table(["sentiment", "reviews"], r.reviewSentiment.map { [$0.sentiment, "\($0.count)"] })
        html += "<h2>Topic surges</h2>" + table(["topic", "messages", "suggestion"], r.surges.map {
            [$0.topic, "\($0.messages)", "answer once in a public post or FAQ"]
        })
        return html + "</body></html>\n"
    }
}
