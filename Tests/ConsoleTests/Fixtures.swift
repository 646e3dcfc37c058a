import Foundation
import InboxModel
@testable import Console

/// Sample inbox with CJK, emoji, right-to-left text and a terminal-injection attempt.
enum Fixtures {
    /// 2027-01-15 08:00:00 UTC.
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func row(_ id: Int64, _ platform: Platform, _ kind: MessageKind, lane: Lane, author: String,
                    flags: [FlagName: Decision] = [:], priority: Int = 3, ago: TimeInterval, text: String,
                    state: MessageState = .open, severity: String? = nil) -> MessageRow {
        let t = now.addingTimeInterval(-ago)
        return MessageRow(id: id, cursor: ListCursor(priority: priority, receivedAt: t, id: id), platform: platform,
                          kind: kind, state: state, lane: lane, authorHandle: author, flags: flags,
                          emergencySeverity: severity, snippet: text, receivedAt: t)
    }

    static let injection = "\u{1B}]52;c;ZWNobyBwd25lZA==\u{07}hi \u{1B}[2J\u{202E}evil\u{202C} \u{200B}x"

    static func details() -> [MessageDetail] {
        let crisisText = "I want to end it all tonight"
        let crisis = Classification(language: "en", sentiment: .negative, flags: [
            FlagHit(flag: .emergency, decision: .act, score: 0.97, severity: "imminent", category: "suicide",
                    evidence: [Evidence(rule: "suicide.ideation", file: "emergency.yml", span: [2, 16], text: "want to end it", contribution: 0.9)]),
        ], template: "crisis_988")
        let symptom = Classification(language: "en", sentiment: .neutral, flags: [
            FlagHit(flag: .symptomQuestion, decision: .flag, score: 0.8, evidence: [
                Evidence(rule: "symptom.fever", file: "symptoms.yml", span: [19, 28], text: "fever of 103", modifiers: ["experiencer:relative"], contribution: 0.8)]),
        ], template: nil)
        let offensive = Classification(language: "en", sentiment: .negative, flags: [
            FlagHit(flag: .offensive, decision: .flag, score: 0.7, severity: "2", category: "insult", evidence: []),
        ], template: nil)
        let phi = Classification(language: "en", sentiment: .neutral, flags: [
            FlagHit(flag: .phiExposure, decision: .act, score: 0.95, evidence: [
                Evidence(rule: "phi.mrn", file: "phi.yml", span: [3, 18], text: "MRN is 12345678", contribution: 1)]),
        ], template: nil)
        return [
            MessageDetail(row: row(1, .messenger, .dm, lane: .urgent, author: "sad_user", flags: [.emergency: .act], priority: 0,
                                   ago: 120, text: crisisText, severity: "imminent"),
                          text: crisisText, authorName: "Sam", classification: crisis, authorEarlierCount: 2),
            MessageDetail(row: row(2, .facebook, .comment, lane: .symptoms, author: "mom_of_3", flags: [.symptomQuestion: .flag],
                                   ago: 3 * 3600, text: "my son has had a fever of 103 for two days, should I bring him in?"),
                          text: "my son has had a fever of 103 for two days, should I bring him in?", classification: symptom,
                          parentText: "Flu shots are available this week."),
            MessageDetail(row: row(3, .instagram, .comment, lane: .new, author: "東京太郎", ago: 86400 + 60,
                                   text: "病院の駐車場はどこですか？谢谢"),
                          text: "病院の駐車場はどこですか？谢谢", language: "ja"),
            MessageDetail(row: row(4, .gbp, .review, lane: .reviews, author: "fam", flags: [.reviewFeedback: .flag], ago: 2 * 86400,
                                   text: "Great staff 👨‍👩‍👧 ❤️ 🇺🇸 café"),
                          text: "Great staff 👨‍👩‍👧 ❤️ 🇺🇸 café"),
            MessageDetail(row: row(5, .facebook, .comment, lane: .new, author: "amira", ago: 5 * 3600,
                                   text: "شكرا لكم على الرعاية الممتازة"),
                          text: "شكرا لكم على الرعاية الممتازة", language: "ar"),
            MessageDetail(row: row(6, .x, .mention, lane: .offensive, author: "h\u{1B}[31macker", flags: [.offensive: .flag],
                                   ago: 600, text: injection),
                          text: injection, authorName: "\u{202E}nimda", classification: offensive, parentText: "\u{1B}]0;pwned\u{07}"),
            MessageDetail(row: row(7, .facebook, .comment, lane: .phi, author: "pat", flags: [.phiExposure: .act], ago: 1800,
                                   text: "My MRN is 12345678 and I have HIV"),
                          text: "My MRN is 12345678 and I have HIV", classification: phi),
        ]
    }

    /// A driver over the sample inbox, started and settled, with a first tick.
    static func driver(role: Role = .moderator, width: Int = 80, height: Int = 24, queue: QueueID? = nil,
                       store: InMemoryConsoleStore? = nil) -> (ConsoleDriver, InMemoryConsoleStore) {
        let st = store ?? InMemoryConsoleStore(details())
        let state = ConsoleState(moderator: "alice", role: role, width: width, height: height, now: now)
        let d = ConsoleDriver(state: state, store: st, policy: FixedPolicy())
        d.send(.started(now: now))
        if let q = queue {
            d.send(.keyPressed(.char(":")))
            for c in "queue \(q.rawValue)" { d.send(.keyPressed(.char(c))) }
            d.send(.keyPressed(.enter))
        }
        return (d, st)
    }
}
