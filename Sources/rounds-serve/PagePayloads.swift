import Connections
import Foundation
import Store

/// What each kind of target is sent: the platform, the lane, the message's age and number, who
/// escalated, who took it. Never the text or the author: a page leaves the inbox.
enum PagePayloads {
    /// PagerDuty folds events with one dedup key into one incident; the generic webhook gets it too.
    static func dedupKey(prefix: String, _ page: PageCandidate) -> String { "\(prefix)-\(page.messageID)" }

    static func summary(_ page: PageCandidate, now: Int64) -> String {
        let age = "\(page.ageMinutes(now: now)) min old"
        if page.reason == "escalated" {
            return "Rounds: emergency #\(page.messageID) on \(page.platform) escalated by \(page.escalatedBy ?? "?"), \(age)"
        }
        return "Rounds: unclaimed emergency #\(page.messageID) on \(page.platform), \(age)"
    }

    static func resolvedSummary(_ r: PageResolution) -> String {
        "Rounds: emergency #\(r.page.messageID) on \(r.page.platform) taken (\(r.takenBecause))"
    }

    static func trigger(_ target: Connections.PagingTarget, _ page: PageCandidate, keyPrefix: String, now: Int64) -> Data {
        let text = summary(page, now: now)
        switch target.kind {
        case .slack: return json(["text": slackEscaped(text)])
        case .teams: return json(["text": text])
        case .pagerduty:
            return json(["routing_key": target.routingKey?.reveal() ?? "", "event_action": "trigger",
                         "dedup_key": dedupKey(prefix: keyPrefix, page),
                         "payload": ["summary": text, "source": "rounds-serve", "severity": "critical",
                                     "custom_details": details(page, now: now)] as [String: Any]])
        case .webhook:
            var body = details(page, now: now)
            body["event"] = "trigger"
            body["dedup_key"] = dedupKey(prefix: keyPrefix, page)
            body["summary"] = text
            return json(body)
        }
    }

    static func resolve(_ target: Connections.PagingTarget, _ r: PageResolution, keyPrefix: String, now: Int64) -> Data {
        let text = resolvedSummary(r)
        switch target.kind {
        case .slack: return json(["text": slackEscaped(text)])
        case .teams: return json(["text": text])
        case .pagerduty:
            return json(["routing_key": target.routingKey?.reveal() ?? "", "event_action": "resolve",
                         "dedup_key": dedupKey(prefix: keyPrefix, r.page)])
        case .webhook:
            var body = details(r.page, now: now)
            body["event"] = "resolve"
            body["dedup_key"] = dedupKey(prefix: keyPrefix, r.page)
            body["summary"] = text
            body["taken"] = r.takenBecause
            return json(body)
        }
    }

    static func details(_ page: PageCandidate, now: Int64) -> [String: Any] {
        ["reason": page.reason, "platform": page.platform, "lane": page.lane, "age_minutes": page.ageMinutes(now: now),
         "message": page.messageID, "escalated_by": page.escalatedBy ?? NSNull()]
    }

    /// Slack reads `&`, `<` and `>` as markup.
    static func slackEscaped(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    static func json(_ object: [String: Any]) -> Data {
        (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
    }
}
