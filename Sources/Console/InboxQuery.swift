import Foundation
import InboxModel

/// Values a filter field must (include) or must not (exclude) have.
public struct FieldFilter<Value: Hashable & Sendable>: Equatable, Sendable {
    /// A message matches when its value is one of these (OR); empty means "any".
    public var include: [Value] = []
    /// A message matches only when its value is none of these.
    public var exclude: [Value] = []
    public init(include: [Value] = [], exclude: [Value] = []) { self.include = include; self.exclude = exclude }
    public var isEmpty: Bool { include.isEmpty && exclude.isEmpty }
}

/// One full-text term: a word or an "exact phrase", possibly negated.
public struct TextTerm: Equatable, Sendable {
    public var text: String
    public var isPhrase: Bool
    public var negated: Bool
    public init(text: String, isPhrase: Bool = false, negated: Bool = false) {
        self.text = text; self.isPhrase = isPhrase; self.negated = negated
    }

    /// The term as one FTS5 string (a phrase): wrapped in double quotes, inner quotes doubled.
    /// Inside an FTS5 string `*`, `:`, `(`, `^`, `NEAR`, `AND`, `OR`, `NOT` are plain text, so
    /// nothing the user types can become FTS5 syntax (no prefix scans, no column filters).
    public var ftsPhrase: String {
        "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// A parsed search/filter: every part must hold (AND). Built by `QueryParser`; the store turns
/// it into SQL with bound parameters, using `ftsMatchExpression` for the full-text part.
public struct InboxQuery: Equatable, Sendable {
    public var terms: [TextTerm] = []
    public var flags = FieldFilter<FlagName>()
    public var platforms = FieldFilter<Platform>()
    public var kinds = FieldFilter<MessageKind>()
    /// Author handles, without a leading `@`, compared case-insensitively.
    public var authors = FieldFilter<String>()
    /// Language codes such as `es`.
    public var languages = FieldFilter<String>()
    public var states = FieldFilter<MessageState>()
    /// Only messages received at or after this instant.
    public var receivedAfter: Date?
    /// Only messages received before this instant.
    public var receivedBefore: Date?
    /// The text the user typed, for display.
    public var source: String = ""

    public init() {}

    public static let all = InboxQuery()

    public var isEmpty: Bool {
        terms.isEmpty && flags.isEmpty && platforms.isEmpty && kinds.isEmpty && authors.isEmpty
            && languages.isEmpty && states.isEmpty && receivedAfter == nil && receivedBefore == nil
    }

    /// The FTS5 `MATCH` expression for the positive terms, with the negated ones subtracted:
    /// `"a" AND "b c" NOT ("x" OR "y")`, or nil when there is no positive term (then use
    /// `ftsExcludeExpression` in a `rowid NOT IN (... MATCH ?)` subquery). Bind it as a
    /// parameter; every term is quoted as a phrase, so it is always valid FTS5 syntax.
    public func ftsMatchExpression() -> String? {
        let pos = terms.filter { !$0.negated }.map(\.ftsPhrase)
        guard !pos.isEmpty else { return nil }
        let base = pos.count == 1 ? pos[0] : "(" + pos.joined(separator: " AND ") + ")"
        guard let neg = ftsExcludeExpression() else { return base }
        return base + " NOT (" + neg + ")"
    }

    /// The negated terms as one FTS5 expression (`"x" OR "y"`), or nil when there are none.
    public func ftsExcludeExpression() -> String? {
        let neg = terms.filter(\.negated).map(\.ftsPhrase)
        return neg.isEmpty ? nil : neg.joined(separator: " OR ")
    }
}

/// A query the user can fix: what is wrong, where (column, 1-based) and what is allowed.
public struct QueryError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    public var column: Int
    public var description: String { "column \(column): \(message)" }
}

/// Parses the search/filter language: free words and "exact phrases" (full text), `flag:`,
/// `platform:`, `kind:`, `from:`, `lang:`, `state:`, `after:` (`2d`, `4h`, `30m`, `1w` ago, or a
/// date), `before:` (a date), a leading `-` negates; everything is ANDed.
public struct QueryParser: Sendable {
    public var now: Date
    public var timeZone: TimeZone

    public init(now: Date, timeZone: TimeZone = TimeZone(identifier: "UTC")!) {
        self.now = now
        self.timeZone = timeZone
    }

    public static let fields = ["flag", "platform", "kind", "from", "lang", "state", "after", "before"]

    public func parse(_ input: String) throws(QueryError) -> InboxQuery {
        var q = InboxQuery()
        q.source = input
        let scalars = Array(input.unicodeScalars)
        var i = 0
        func isSpace(_ s: Unicode.Scalar) -> Bool { s.properties.isWhitespace || s.value < 0x20 }
        while i < scalars.count {
            while i < scalars.count, isSpace(scalars[i]) { i += 1 }
            guard i < scalars.count else { break }
            let start = i
            var negated = false
            if scalars[i] == "-", i + 1 < scalars.count, !isSpace(scalars[i + 1]) { negated = true; i += 1 }
            if scalars[i] == "\"" {
                i += 1
                var phrase = String.UnicodeScalarView()
                while i < scalars.count, scalars[i] != "\"" { phrase.append(scalars[i]); i += 1 }
                if i < scalars.count { i += 1 }  // closing quote; an unclosed phrase runs to the end
                addTerm(String(phrase), phrase: true, negated: negated, to: &q)
                continue
            }
            var word = String.UnicodeScalarView()
            while i < scalars.count, !isSpace(scalars[i]) { word.append(scalars[i]); i += 1 }
            let token = String(word)
            if let colon = token.firstIndex(of: ":") {
                let field = token[..<colon].lowercased()
                var value = String(token[token.index(after: colon)...])
                if Self.fields.contains(field) {
                    if value.hasPrefix("\"") {  // field:"two words"
                        value.removeFirst()
                        if value.hasSuffix("\"") && !value.isEmpty { value.removeLast() } else {
                            var rest = String.UnicodeScalarView()
                            if i < scalars.count { rest.append(scalars[i]); i += 1 }
                            while i < scalars.count, scalars[i] != "\"" { rest.append(scalars[i]); i += 1 }
                            if i < scalars.count { i += 1 }
                            value += String(rest)
                        }
                    }
                    try apply(field: field, value: value, negated: negated, column: start + 1, to: &q)
                    continue
                }
            }
            addTerm(token, phrase: false, negated: negated, to: &q)
        }
        return q
    }

    private func addTerm(_ raw: String, phrase: Bool, negated: Bool, to q: inout InboxQuery) {
        // Controls never go to the database; a term with no letter or digit matches nothing useful.
        let text = String(String.UnicodeScalarView(raw.unicodeScalars.filter { UntrustedText.placeholder(for: $0) == nil || $0 == " " }))
            .trimmingCharacters(in: .whitespaces)
        guard text.unicodeScalars.contains(where: { $0.properties.isAlphabetic || $0.properties.numericType != nil }) else { return }
        q.terms.append(TextTerm(text: text, isPhrase: phrase, negated: negated))
    }

    private func apply(field: String, value raw: String, negated: Bool, column: Int, to q: inout InboxQuery) throws(QueryError) {
        let value = raw.trimmingCharacters(in: .whitespaces)
        guard !value.isEmpty else { throw QueryError(message: "\(field): needs a value, e.g. \(example(field))", column: column) }
        func add<T>(_ v: T, _ f: inout FieldFilter<T>) { if negated { f.exclude.append(v) } else { f.include.append(v) } }
        let lower = value.lowercased()
        switch field {
        case "flag":
            guard let f = Self.flagAliases[lower] ?? FlagName(rawValue: lower) else {
                throw QueryError(message: "unknown flag '\(DisplayText.clean(value))'; use one of: \(FlagName.allCases.map(\.rawValue).joined(separator: ", "))", column: column)
            }
            add(f, &q.flags)
        case "platform":
            guard let p = Self.platformAliases[lower] ?? Platform(rawValue: lower) else {
                throw QueryError(message: "unknown platform '\(DisplayText.clean(value))'; use one of: facebook, messenger, instagram, x, gbp", column: column)
            }
            add(p, &q.platforms)
        case "kind":
            guard let k = MessageKind(rawValue: lower) else {
                throw QueryError(message: "unknown kind '\(DisplayText.clean(value))'; use one of: \(MessageKind.allCases.map(\.rawValue).joined(separator: ", "))", column: column)
            }
            add(k, &q.kinds)
        case "from":
            add(lower.hasPrefix("@") ? String(lower.dropFirst()) : lower, &q.authors)
        case "lang":
            guard lower.allSatisfy({ $0.isLetter || $0 == "-" }), lower.count <= 12 else {
                throw QueryError(message: "language must be a code such as en or es", column: column)
            }
            add(lower, &q.languages)
        case "state":
            guard let s = MessageState(rawValue: lower) else {
                throw QueryError(message: "unknown state '\(DisplayText.clean(value))'; use one of: open, done, hidden, snoozed, deleted", column: column)
            }
            add(s, &q.states)
        case "after", "before":
            guard !negated else { throw QueryError(message: "-\(field): cannot be negated; use \(field == "after" ? "before" : "after"): instead", column: column) }
            guard let date = resolveDate(lower) else {
                throw QueryError(message: "\(field): expects an age like 2d, 4h, 30m, 1w or a date like 2026-11-01", column: column)
            }
            if field == "after" { q.receivedAfter = date } else { q.receivedBefore = date }
        default:
            break
        }
    }

    private func example(_ field: String) -> String {
        switch field {
        case "flag": "flag:phi_exposure"
        case "platform": "platform:facebook"
        case "kind": "kind:dm"
        case "from": "from:jane"
        case "lang": "lang:es"
        case "state": "state:open"
        default: "\(field):2d"
        }
    }

    /// `2d`/`4h`/`30m`/`1w` ago from `now`, or midnight of a `YYYY-MM-DD` date in `timeZone`.
    func resolveDate(_ v: String) -> Date? {
        if let unit = v.last, "mhdw".contains(unit), let n = Int(v.dropLast()), n >= 0, n < 100_000 {
            let seconds: Double = switch unit { case "m": 60; case "h": 3600; case "d": 86400; default: 604800 }
            return now.addingTimeInterval(-Double(n) * seconds)
        }
        let parts = v.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
              (1...12).contains(m), (1...31).contains(d) else { return nil }
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = timeZone
        var dc = DateComponents(year: y, month: m, day: d)
        dc.timeZone = timeZone
        guard let date = cal.date(from: dc), cal.component(.day, from: date) == d else { return nil }
        return date
    }

    static let flagAliases: [String: FlagName] = [
        "emergency": .emergency, "urgent": .emergency, "crisis": .emergency,
        "symptom": .symptomQuestion, "symptoms": .symptomQuestion, "symptom_question": .symptomQuestion,
        "phi": .phiExposure, "phi_exposure": .phiExposure,
        "offensive": .offensive, "review": .reviewFeedback, "review_feedback": .reviewFeedback,
        "spam": .spam, "misinformation": .misinformation, "misinfo": .misinformation,
    ]
    static let platformAliases: [String: Platform] = [
        "fb": .facebook, "ig": .instagram, "twitter": .x, "google": .gbp, "gmb": .gbp,
    ]
}
