import Foundation
import InboxModel

/// The detail's "Delivery" block: where each action on the message stands with its platform.
extension Renderer {
    /// Most characters of a platform's error shown: its reason, not a dump of its answer.
    static let maxErrorScalars = 300

    static func deliveryLines(_ d: MessageDetail, now: Date, width: Int) -> [StyledLine] {
        guard !d.deliveries.isEmpty || d.connectionProblem != nil else { return [] }
        var out = [StyledLine("Delivery", .heading)]
        switch d.connectionProblem {
        case .noAccount?:
            out += wrap(StyledLine("No connection for this message's page: a reply cannot leave", .error), width: width)
        case .paused(let reason)?:
            var l = StyledLine("Connection paused: ", .error)
            l.append(bounded(reason), .error)
            l.append(" — reconnect it (see docs/operations.md)", .error)
            out += wrap(l, width: width).prefix(3)
        case nil:
            break
        }
        for entry in d.deliveries {
            var l = StyledLine(deliveryLabel(entry), .normal)
            l.append(" by ", .normal)
            l.append(entry.moderator, .normal)  // from the inbox: drawn through DisplayText
            l.append(": ", .normal)
            let (text, style) = deliveryState(entry, now: now)
            l.append(text, style)
            out += wrap(l, width: width).prefix(3)
        }
        return out
    }

    /// `Reply (public)`, `Hide`, `Unhide`, `Delete`.
    static func deliveryLabel(_ e: DeliveryStatus) -> String {
        switch e.action {
        case "reply": "Reply (\(e.visibility == .public ? "public" : "private"))"
        case "hide": "Hide"
        case "unhide": "Unhide"
        case "delete": "Delete"
        default: e.action
        }
    }

    /// Where the entry stands, and how loudly to say it.
    static func deliveryState(_ e: DeliveryStatus, now: Date) -> (String, Style) {
        let reason = e.lastError.map(bounded)
        switch e.state {
        case .pending:
            // The worker takes it soon after the window ends; until then it is simply waiting.
            guard e.releaseAt > now else { return ("waiting to be sent", .normal) }
            return ("leaves in \(duration(e.releaseAt.timeIntervalSince(now)))", .normal)
        case .ready:
            // A paused connection puts an entry back to ready with the platform's reason.
            return ("waiting to be sent" + (reason.map { ": " + $0 } ?? ""), .normal)
        case .sending:
            return ("sending", .normal)
        case .sent:
            guard let at = e.sentAt else { return ("sent ✓", .normal) }
            // A clock time alone would be ambiguous a day later.
            let when = now.timeIntervalSince(at) < 86400 ? clock(at) : age(at, now: now) + " ago"
            return ("sent \(when) ✓", .normal)
        case .retrying:
            let wait = e.nextAttemptAt.flatMap { $0 > now ? "in " + duration($0.timeIntervalSince(now)) : nil } ?? "now"
            return ("retrying \(wait)" + (reason.map { ": " + $0 } ?? ""), .badgeWarn)
        case .failed:
            var text = "failed" + (reason.map { ": " + $0 } ?? "")
            if let code = e.errorCode { text += " (\(bounded(code)))" }
            return (text, .error)
        case .cancelled:
            return ("cancelled" + (reason.map { ": " + $0 } ?? ""), .muted)
        case .other(let raw):
            return (bounded(raw) + (reason.map { ": " + $0 } ?? ""), .normal)
        }
    }

    /// `8 s`, `2 m`, `3 h`: rounded up, so a wait never reads shorter than it is.
    static func duration(_ t: TimeInterval) -> String {
        let secs = max(0, Int(t.rounded(.up)))
        if secs < 60 { return "\(secs) s" }
        if secs < 3600 { return "\((secs + 59) / 60) m" }
        return "\((secs + 3599) / 3600) h"
    }

    /// The start of a stored text, so rendering time never grows with what a platform sent.
    static func bounded(_ text: String) -> String {
        guard text.unicodeScalars.count > maxErrorScalars else { return text }
        return String(String.UnicodeScalarView(text.unicodeScalars.prefix(maxErrorScalars))) + "…"
    }
}
