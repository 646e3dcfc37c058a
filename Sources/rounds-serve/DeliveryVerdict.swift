import Foundation
import InboxModel
import Store

/// What a platform's answer means for a delivery: sent, try again (when, and why), failed for
/// good, or the connection needs a person. Each platform's documented signals decide
/// (docs/operations.md, "When a delivery fails").
enum DeliveryVerdict {
    /// How long before attempt `attempt + 1`: `base` doubling to 30 minutes, with jitter so that
    /// a backlog does not retry in step.
    static func backoff(attempt: Int, base: Double) -> Double {
        min(1800, base * pow(2, Double(min(max(attempt - 1, 0), 20)))) * Double.random(in: 0.5...1)
    }

    static func outcome(_ d: Delivery, _ r: PlatformResponse, now: Date, retryBase: Double) -> DeliveryOutcome {
        if (200..<300).contains(r.status) { return .sent(ref: reference(d, r)) }
        let later = { (seconds: Double) in Int64((now.timeIntervalSince1970 + seconds) * 1000) }
        let backoff = later(backoff(attempt: d.attempt, base: retryBase))
        // A 5xx may have been answered after the platform acted: look before sending again.
        let uncertain = d.action == "reply"
        switch d.target.platform {
        case .facebook, .messenger, .instagram:
            return meta(d, r, backoff: backoff, later: later, uncertain: uncertain)
        case .x:
            if r.status == 429 {
                let reset = r.header("x-rate-limit-reset").flatMap(Double.init).map { Int64($0 * 1000) }
                return .retry(at: max(reset ?? backoff, later(1)), reason: "rate limited by X", code: "429", uncertain: false)
            }
            if r.status == 401 { return .paused(reason: "needs reconnecting: X refused the token (401)", code: "401") }
            if r.status >= 500 { return .retry(at: backoff, reason: "X answered \(r.status)", code: String(r.status), uncertain: uncertain) }
            return .failed(reason: xMessage(r) ?? "X refused it (\(r.status))", code: String(r.status))
        case .gbp:
            let error = r.json?["error"] as? [String: Any]
            if r.status == 429 || error?["status"] as? String == "RESOURCE_EXHAUSTED" {
                let after = r.header("Retry-After").flatMap(Double.init).map(later)
                return .retry(at: after ?? backoff, reason: "Google quota exhausted", code: "429", uncertain: false)
            }
            if r.status == 401 { return .paused(reason: "needs reconnecting: Google refused the token (401)", code: "401") }
            if r.status >= 500 { return .retry(at: backoff, reason: "Google answered \(r.status)", code: String(r.status), uncertain: false) }
            let message = (error?["message"] as? String).map(clean) ?? "Google refused it"
            return .failed(reason: "\(message) (\(r.status))", code: String(r.status))
        }
    }

    private static func meta(_ d: Delivery, _ r: PlatformResponse, backoff: Int64, later: (Double) -> Int64, uncertain: Bool) -> DeliveryOutcome {
        let error = r.json?["error"] as? [String: Any]
        let code = (error?["code"] as? Int) ?? -1
        let subcode = error?["error_subcode"] as? Int
        let message = (error?["message"] as? String).map(clean) ?? "Meta answered \(r.status)"
        let codeText = code >= 0 ? String(code) : String(r.status)
        switch code {
        case 1, 2:
            return .retry(at: backoff, reason: "Meta is unavailable for now", code: codeText, uncertain: uncertain)
        case 4, 17, 32, 613, 80001...80009:
            let regain = regainMinutes(r).map { later(max($0, 1) * 60) }
            return .retry(at: regain ?? max(backoff, later(60)), reason: "rate limited", code: codeText, uncertain: false)
        case 190, 102:
            return .paused(reason: "needs reconnecting: \(message)", code: codeText)
        case 551:
            return .failed(reason: "the person cannot receive messages", code: "551")
        case _ where subcode == 2018278:
            return .failed(reason: "outside Meta's messaging window", code: "2018278")
        case 100 where d.action == "delete" && subcode == 33:
            return .sent(ref: nil)  // already gone: what the delete wanted
        case 10, 100, 200...299, 368, 506:
            return .failed(reason: message, code: codeText)
        default:
            if r.status >= 500 || code < 0 && r.status == 429 {
                return .retry(at: backoff, reason: "Meta answered \(r.status)", code: codeText, uncertain: uncertain)
            }
            return .failed(reason: message, code: codeText)
        }
    }

    /// The longest `estimated_time_to_regain_access` (minutes) in `X-Business-Use-Case-Usage`.
    static func regainMinutes(_ r: PlatformResponse) -> Double? {
        guard let header = r.header("X-Business-Use-Case-Usage"),
              let usage = try? JSONSerialization.jsonObject(with: Data(header.utf8)) as? [String: Any] else { return nil }
        let times = usage.values.compactMap { $0 as? [[String: Any]] }.joined().compactMap { ($0["estimated_time_to_regain_access"] as? NSNumber)?.doubleValue }
        return times.max().flatMap { $0 > 0 ? $0 : nil }
    }

    /// The platform's id of what was created.
    private static func reference(_ d: Delivery, _ r: PlatformResponse) -> String? {
        let json = r.json
        let data = json?["data"] as? [String: Any]
        let ref = json?["id"] ?? json?["message_id"] ?? data?["id"] ?? data?["dm_event_id"]
        if d.target.platform == .gbp, d.action == "reply", let location = d.target.postID {
            return "\(location)/reviews/\(d.target.externalID)/reply"
        }
        return ref.map { clean("\($0)") }
    }

    private static func xMessage(_ r: PlatformResponse) -> String? {
        let json = r.json
        let text = (json?["detail"] as? String) ?? ((json?["errors"] as? [[String: Any]])?.first?["message"] as? String) ?? (json?["title"] as? String)
        return text.map { "\(clean($0)) (\(r.status))" }
    }

    /// A platform's words are untrusted text: one line, bounded, before the inbox keeps them.
    static func clean(_ s: String) -> String { String(UntrustedText.line(s).prefix(200)) }
}
