import Foundation
import GRDB
import InboxModel

/// The end-of-day summary a lead hands over, as figures; `rounds report` formats it.
public struct DayReport: Sendable {
    public struct ResponseFigure: Sendable {
        public var flag: String
        public var messages: Int
        public var answered: Int
        public var medianMinutes: Double?
        public var p90Minutes: Double?
        public var targetMinutes: Int?
        /// Answered later than the target, or still unanswered past it.
        public var breaches: Int
    }

    public struct Surge: Sendable {
        public var topic: String
        public var messages: Int
        public var examples: [Int64]
    }

    public var from: Date
    public var to: Date
    public var received = 0
    public var volumeByHour = [Int](repeating: 0, count: 24)
    public var flagsByKind: [(flag: String, kind: String, count: Int)] = []
    public var actionsByModerator: [(moderator: String, action: String, count: Int)] = []
    public var responses: [ResponseFigure] = []
    public var urgentOpen: [(id: Int64, receivedAt: Date, severity: String?)] = []
    public var reviewSentiment: [(sentiment: String, count: Int)] = []
    /// Actions bound for the platforms that day, by how their delivery stands (sent, failed,
    /// retrying...), and the failures' reasons with their counts.
    public var deliveries: [(state: String, count: Int)] = []
    public var deliveryFailures: [(reason: String, count: Int)] = []
    public var surges: [Surge] = []
}

extension InboxDatabase {
    /// Builds the report of `[from, to)`; `hourOffset(date)` gives the local hour for the
    /// organisation's time zone; `targets` are response targets in minutes per flag.
    public func dayReport(from: Date, to: Date, timeZone: TimeZone, targets: [String: Int], stopWords: Set<String>) throws -> DayReport {
        var r = DayReport(from: from, to: to)
        let a = Int64(from.timeIntervalSince1970 * 1000), b = Int64(to.timeIntervalSince1970 * 1000)
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = timeZone
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        try pool.read { db in
            var texts: [(Int64, String)] = []
            let cursor = try Row.fetchCursor(db, sql: "SELECT id, received_at, text FROM message WHERE received_at >= ? AND received_at < ?", arguments: [a, b])
            while let row = try cursor.next() {
                r.received += 1
                let t = Date(timeIntervalSince1970: Double(row["received_at"] as Int64) / 1000)
                r.volumeByHour[cal.component(.hour, from: t)] += 1
                texts.append((row["id"], row["text"]))
            }
            r.flagsByKind = try Row.fetchAll(db, sql: """
                SELECT f.flag, m.kind, count(*) AS n FROM message_flag f JOIN message m ON m.id = f.message_id
                WHERE m.received_at >= ? AND m.received_at < ? AND f.decision != 'review'
                GROUP BY f.flag, m.kind ORDER BY f.flag, n DESC
                """, arguments: [a, b]).map { ($0["flag"], $0["kind"], $0["n"]) }
            r.actionsByModerator = try Row.fetchAll(db, sql: """
                SELECT moderator, action, count(*) AS n FROM action WHERE at >= ? AND at < ?
                GROUP BY moderator, action ORDER BY moderator, n DESC
                """, arguments: [a, b]).map { ($0["moderator"], $0["action"], $0["n"]) }
            // First response: the first action that handles the message (not a note or a claim).
            let rows = try Row.fetchAll(db, sql: """
                SELECT f.flag, m.received_at,
                       (SELECT min(x.at) FROM action x WHERE x.message_id = m.id
                          AND x.action IN ('reply_queued', 'hide', 'delete', 'done', 'escalate')) AS first
                FROM message_flag f JOIN message m ON m.id = f.message_id
                WHERE m.received_at >= ? AND m.received_at < ? AND (f.decision != 'review' OR f.flag = 'emergency')
                """, arguments: [a, b])
            var byFlag: [String: [Row]] = [:]
            for row in rows { byFlag[row["flag"], default: []].append(row) }
            for (flag, list) in byFlag.sorted(by: { (FlagName(rawValue: $0.key)?.rank ?? 9) < (FlagName(rawValue: $1.key)?.rank ?? 9) }) {
                let target = targets[flag]
                var minutes: [Double] = []
                var breaches = 0
                for row in list {
                    let received: Int64 = row["received_at"]
                    if let first: Int64 = row["first"] {
                        let m = Double(first - received) / 60_000
                        minutes.append(m)
                        if let target, m > Double(target) { breaches += 1 }
                    } else if let target, Double(now - received) / 60_000 > Double(target) {
                        breaches += 1
                    }
                }
                minutes.sort()
                func pct(_ p: Double) -> Double? {
                    guard !minutes.isEmpty else { return nil }
                    return minutes[min(minutes.count - 1, Int((Double(minutes.count - 1) * p).rounded()))]
                }
                r.responses.append(.init(flag: flag, messages: list.count, answered: minutes.count, medianMinutes: pct(0.5),
                                         p90Minutes: pct(0.9), targetMinutes: target, breaches: breaches))
            }
            r.urgentOpen = try Row.fetchAll(db, sql: """
                SELECT m.id, m.received_at, (SELECT severity FROM message_flag WHERE message_id = m.id AND flag = 'emergency') AS severity
                FROM message m WHERE m.lane = 'urgent' AND m.state = 'open' ORDER BY m.priority, m.received_at LIMIT 50
                """).map { ($0["id"], Date(timeIntervalSince1970: Double($0["received_at"] as Int64) / 1000), $0["severity"]) }
            r.deliveries = try Row.fetchAll(db, sql: """
                SELECT state, count(*) AS n FROM outbox WHERE created_at >= ? AND created_at < ? AND state != 'cancelled'
                GROUP BY state ORDER BY n DESC
                """, arguments: [a, b]).map { ($0["state"], $0["n"]) }
            r.deliveryFailures = try Row.fetchAll(db, sql: """
                SELECT coalesce(last_error, 'unknown') || coalesce(' (' || error_code || ')', '') AS reason, count(*) AS n FROM outbox
                WHERE created_at >= ? AND created_at < ? AND state = 'failed' GROUP BY reason ORDER BY n DESC LIMIT 10
                """, arguments: [a, b]).map { ($0["reason"], $0["n"]) }
            r.reviewSentiment = try Row.fetchAll(db, sql: """
                SELECT COALESCE(sentiment, 'neutral') AS s, count(*) AS n FROM message
                WHERE received_at >= ? AND received_at < ? AND (kind = 'review' OR lane = 'reviews')
                GROUP BY s ORDER BY n DESC
                """, arguments: [a, b]).map { ($0["s"], $0["n"]) }
            // What is usual: the same terms over the seven days before.
            var baseline: [(Int64, String)] = []
            let week = try Row.fetchCursor(db, sql: "SELECT id, text FROM message WHERE received_at >= ? AND received_at < ?",
                                           arguments: [a - 7 * 86_400_000, a])
            while let row = try week.next() { baseline.append((row["id"], row["text"])) }
            r.surges = Self.surges(in: texts, baseline: baseline, baselineDays: 7, stopWords: stopWords)
        }
        return r
    }

    /// Topics many people wrote about today, far more than usual: word pairs and words,
    /// counted once per message, kept when at least five messages (and 2% of the day) share
    /// them and they are at least three times as frequent as on an average day of the week
    /// before. Pairs come before the words they contain; handles and links are not topics.
    static func surges(in texts: [(Int64, String)], baseline: [(Int64, String)], baselineDays: Int, stopWords: Set<String>) -> [DayReport.Surge] {
        func terms(_ text: String) -> Set<String> {
            let folded = text.lowercased().folding(options: .diacriticInsensitive, locale: nil)
            var words: [String] = []
            for chunk in folded.split(separator: " ") where !chunk.hasPrefix("@") && !chunk.hasPrefix("http") {
                for piece in chunk.split(whereSeparator: { !$0.isLetter && !$0.isNumber }) {
                    let w = String(piece)
                    if w.count > 2, !stopWords.contains(w), !w.allSatisfy(\.isNumber) { words.append(w) }
                }
            }
            var seen = Set(words)
            for (x, y) in zip(words, words.dropFirst()) { seen.insert("\(x) \(y)") }
            return seen
        }
        var counts: [String: [Int64]] = [:]
        for (id, text) in texts {
            for key in terms(text) { counts[key, default: []].append(id) }
        }
        let threshold = max(5, texts.count / 50)
        let candidates = counts.filter { $0.value.count >= threshold }
        var usual: [String: Int] = [:]
        if !candidates.isEmpty {
            for (_, text) in baseline {
                for key in terms(text) where candidates[key] != nil { usual[key, default: 0] += 1 }
            }
        }
        let surges = candidates
            .filter { Double($0.value.count) >= 3 * (Double(usual[$0.key] ?? 0) / Double(max(baselineDays, 1)) + 1) }
            .map { DayReport.Surge(topic: $0.key, messages: $0.value.count, examples: Array($0.value.prefix(5))) }
            .sorted { ($0.messages, $0.topic.contains(" ") ? 1 : 0, $1.topic) > ($1.messages, $1.topic.contains(" ") ? 1 : 0, $0.topic) }
        // A topic whose messages are mostly those of a topic already listed adds nothing.
        var chosen: [DayReport.Surge] = []
        var covered: [Set<Int64>] = []
        for s in surges {
            let ids = Set(candidates[s.topic] ?? [])
            if covered.contains(where: { Double($0.intersection(ids).count) >= 0.6 * Double(ids.count) }) { continue }
            chosen.append(s)
            covered.append(ids)
            if chosen.count == 8 { break }
        }
        return chosen
    }
}
