import Foundation

/// The marks a message can carry.
public enum FlagName: String, Codable, CaseIterable, Sendable, Comparable {
    case emergency
    case symptomQuestion = "symptom_question"
    case phiExposure = "phi_exposure"
    case offensive
    case reviewFeedback = "review_feedback"
    case spam
    case misinformation

    /// Triage order: the lower, the sooner a moderator must see it.
    public var rank: Int {
        switch self {
        case .emergency: 0
        case .phiExposure: 1
        case .symptomQuestion: 2
        case .offensive: 3
        case .reviewFeedback: 4
        case .spam: 5
        case .misinformation: 6
        }
    }

    public static func < (a: FlagName, b: FlagName) -> Bool { a.rank < b.rank }

    /// The flag's bit in a stored flag set (`message.flag_set`): never renumber one.
    public var bit: Int64 {
        switch self {
        case .emergency: 1
        case .symptomQuestion: 2
        case .phiExposure: 4
        case .offensive: 8
        case .reviewFeedback: 16
        case .spam: 32
        case .misinformation: 64
        }
    }

    /// The bits of several flags.
    public static func bits<S: Sequence<FlagName>>(_ flags: S) -> Int64 { flags.reduce(0) { $0 | $1.bit } }
}

/// How sure the policy is, from "a human should look" to "act on it".
public enum Decision: String, Codable, CaseIterable, Sendable, Comparable {
    case review, flag, act

    private var order: Int {
        switch self {
        case .review: 0
        case .flag: 1
        case .act: 2
        }
    }

    public static func < (a: Decision, b: Decision) -> Bool { a.order < b.order }
}

public enum Sentiment: String, Codable, CaseIterable, Sendable {
    case positive, negative, neutral, mixed
}

/// Why a flag was raised: one matched rule with its place in the original text.
public struct Evidence: Codable, Equatable, Sendable {
    public var rule: String
    public var file: String
    /// `[start, end)`, counted in Unicode scalars of the original text.
    public var span: [Int]
    public var text: String
    /// Context found around the match: negated, experiencer:relative, temporality:history,
    /// figurative, hypothetical, ...
    public var modifiers: [String]
    /// This evidence's share of the flag's score.
    public var contribution: Double

    public init(rule: String, file: String, span: [Int], text: String, modifiers: [String] = [], contribution: Double) {
        self.rule = rule
        self.file = file
        self.span = span
        self.text = text
        self.modifiers = modifiers
        self.contribution = contribution
    }
}

/// One flag on a message, with its decision and the evidence behind it.
public struct FlagHit: Codable, Equatable, Sendable {
    public var flag: FlagName
    public var decision: Decision
    public var score: Double
    /// Emergency: imminent | urgent. Offensive: 1...3 as a string.
    public var severity: String?
    /// Offensive: profane | insult | sexual | hate | threat. Emergency: suicide | medical | poison.
    public var category: String?
    public var evidence: [Evidence]

    public init(flag: FlagName, decision: Decision, score: Double, severity: String? = nil, category: String? = nil, evidence: [Evidence]) {
        self.flag = flag
        self.decision = decision
        self.score = score
        self.severity = severity
        self.category = category
        self.evidence = evidence
    }
}

/// Everything the classifier says about one message.
public struct Classification: Codable, Equatable, Sendable {
    public var language: String
    public var sentiment: Sentiment
    public var flags: [FlagHit]
    /// Id of the reply template the policy recommends, if any.
    public var template: String?

    public init(language: String, sentiment: Sentiment, flags: [FlagHit], template: String?) {
        self.language = language
        self.sentiment = sentiment
        self.flags = flags
        self.template = template
    }

    public static let unclassified = Classification(language: "und", sentiment: .neutral, flags: [], template: nil)

    public func hit(_ name: FlagName) -> FlagHit? { flags.first { $0.flag == name } }

    /// The bits of every flag it carries, whatever the decision (see `FlagName.bit`).
    public var flagSet: Int64 { flags.reduce(0) { $0 | $1.flag.bit } }
}
