import InboxModel
import Foundation
import Yams

/// A problem in a policy file, with the place it was found.
public struct PolicyError: Error, CustomStringConvertible, Sendable {
    public var file: String
    public var line: Int
    public var message: String
    public init(file: String, line: Int, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }
    public var description: String { "\(file):\(line): \(message)" }
}

// MARK: - File structures (decoded only into typed structs)

public struct Organization: Sendable {
    public struct Contact: Sendable {
        public var name: String
        public var phone: String
        public var email: String
    }
    public struct Numbers: Sendable {
        public var emergency: String
        public var crisis: String
        public var crisis_text: String
        public var crisis_chat: String
        public var crisis_spanish: String
        public var poison: String
    }
    public var name: String
    public var website: String
    public var phone: String
    public var booking_link: String
    public var patient_relations: Contact
    public var timezone: String
    public var business_hours: [String: String]
    public var languages: [String]
    public var country: String
    public var numbers: Numbers
    public var reply_undo_seconds: Int?
    /// Minutes without a key after which the console hides every message (HIPAA automatic logoff).
    public var idle_lock_minutes: Int?
    public var response_targets_minutes: [String: Int]
    /// Who the server pages about an emergency nobody has taken (`OnCall`).
    public var onCall: OnCall

    /// Read by hand (`YAMLFields`): the console reads this file before its first frame.
    init(_ f: YAMLFields) throws {
        name = try f.text("name")
        website = try f.text("website")
        phone = try f.text("phone")
        booking_link = try f.text("booking_link")
        let c = try f.fields("patient_relations")
        patient_relations = Contact(name: try c.text("name"), phone: try c.text("phone"), email: try c.text("email"))
        timezone = try f.text("timezone")
        business_hours = try f.textMap("business_hours")
        languages = try f.texts("languages")
        country = try f.text("country")
        let n = try f.fields("numbers")
        numbers = Numbers(emergency: try n.text("emergency"), crisis: try n.text("crisis"), crisis_text: try n.text("crisis_text"),
                          crisis_chat: try n.text("crisis_chat"), crisis_spanish: try n.text("crisis_spanish"), poison: try n.text("poison"))
        reply_undo_seconds = try f.optionalInt("reply_undo_seconds")
        idle_lock_minutes = try f.optionalInt("idle_lock_minutes")
        if let m = idle_lock_minutes, !(1...240).contains(m) {
            throw PolicyError(file: f.doc.path, line: f.doc.line(["idle_lock_minutes"]), message: "idle_lock_minutes must be 1 to 240")
        }
        response_targets_minutes = try f.intMap("response_targets_minutes")
        onCall = try OnCall(f)
    }

    public var replyUndoSeconds: Int { reply_undo_seconds ?? 10 }
    public var idleLockMinutes: Int { idle_lock_minutes ?? 10 }
    public var bookingLink: String { booking_link }
    public var patientRelations: Contact { patient_relations }
    public var businessHours: [String: String] { business_hours }
    /// Response-time targets per flag, in minutes.
    public var responseTargets: [String: Int] { response_targets_minutes }
    public var emergencyNumber: String { numbers.emergency }
    public var crisisNumber: String { numbers.crisis }
    public var poisonNumber: String { numbers.poison }
    public func responseTarget(_ flag: String) -> Int? { response_targets_minutes[flag] }
}

struct RuleFile: Codable, Sendable {
    var id: String
    var list: String?
    var terms: [String]?
    var identifier: String?
    var pattern: String?
    var prefilter: String?
    var language: String?
    var role: String?
    var weight: Double?
    var category: String?
    var severity: String?
    var description: String?
}

struct EscalationFile: Codable, Sendable {
    var name: String
    var contact: String
}

struct FlagFile: Codable, Sendable {
    var flag: String
    var description: String?
    var review_at: Double
    var flag_at: Double
    var act_at: Double
    var max_decision: String?
    var default_action: String
    var escalation: EscalationFile
    var obfuscation: Bool?
    var context: Bool?
    var modifiers: [String: Double]?
    var require: [String]?
    var missing_cue_factor: Double?
    var sentiment_weight: Double?
    var rules: [RuleFile]
}

struct ContextLanguage: Codable, Sendable {
    var stopwords: [String]
    var negation_pre: [String]
    var negation_post: [String]
    var pseudo_negation: [String]
    var terminators: [String]
    var relative: [String]
    var other: [String]
    var selfref: [String]
    var history: [String]
    var hypothetical: [String]
    var figurative: [String]
    var present: [String]
}

struct ContextFile: Codable, Sendable {
    var window: Int
    var languages: [String: ContextLanguage]
}

struct SentimentLanguage: Codable, Sendable {
    var lexicon: [String]
    var negators: [String]
    var intensifiers: [String]
    var diminishers: [String]
    var contrast: [String]
}

struct SentimentFile: Codable, Sendable {
    var negation_factor: Double
    var intensifier_factor: Double
    var diminisher_factor: Double
    var before_contrast: Double
    var after_contrast: Double
    var caps_factor: Double
    var exclamation_boost: Double
    var neutral_band: Double
    var mixed_ratio: Double
    var mixed_min: Double
    var languages: [String: SentimentLanguage]
    var model: SentimentModelFile?
}

/// `model:` in sentiment.yml: the learned model's weights file, how its log-odds are read, and
/// how `rounds policy train-sentiment` trains it.
struct SentimentModelFile: Codable, Sendable {
    var file: String
    var neutral_margin: Double
    var mixed_margin: Double
    var opposite_margin: Double
    var min_docs: Int
    var l2: Double
    var epochs: Int
    var learning_rate: Double
    var min_weight: Double
    var ignore: [String]
}

struct AllowlistFile: Codable, Sendable {
    var phones: [String]
    var emails: [String]
    var domains: [String]
    var numbers: [String]
}

struct CommentingFile: Codable, Sendable {
    var policy_url: String
    var reasons: [RemovalReason]
    var offensive_categories: [String: String]
}

struct GuardLanguage: Codable, Sendable {
    var relationship: [String]
    var clinician_titles: [String]
}

struct GuardFile: Codable, Sendable {
    var name_window: Int
    var languages: [String: GuardLanguage]
}

struct TemplateWhen: Codable, Sendable {
    var category: [String]?
    var sentiment: [String]?
    var kinds: [String]?
}

struct TemplateEntry: Codable, Sendable {
    var id: String
    var flag: String
    var language: String
    var title: String
    var body: String
    var recommended: Bool?
    var when: TemplateWhen?
}

struct TemplateFile: Codable, Sendable {
    var templates: [TemplateEntry]
}

struct ExampleEntry: Codable, Sendable {
    var text: String
    var expect: String
    var language: String?
    var kind: String?
    var rating: Int?
    var platform: String?
    var severity: String?
    var category: String?
    var sentiment: String?
    var template: String?
    var note: String?
}

struct ExampleFile: Codable, Sendable {
    var flag: String
    var examples: [ExampleEntry]
}

// MARK: - Schemas: the allowed keys of every file, checked on the YAML node tree for line numbers

indirect enum Schema: Sendable {
    case map([String: Schema])
    case dict(Schema)          // free keys, values of one schema
    case list(Schema)
    case scalar
}

enum Schemas {
    static let strList: Schema = .list(.scalar)
    static let organization: Schema = .map([
        "name": .scalar, "website": .scalar, "phone": .scalar, "booking_link": .scalar,
        "patient_relations": .map(["name": .scalar, "phone": .scalar, "email": .scalar]),
        "timezone": .scalar, "business_hours": .dict(.scalar), "languages": strList, "country": .scalar,
        "numbers": .map(["emergency": .scalar, "crisis": .scalar, "crisis_text": .scalar, "crisis_chat": .scalar,
                         "crisis_spanish": .scalar, "poison": .scalar]),
        "reply_undo_seconds": .scalar, "response_targets_minutes": .dict(.scalar), "idle_lock_minutes": .scalar,
        "on_call": .list(.map(["name": .scalar, "kind": .scalar])), "page_after_minutes": .scalar,
    ])
    static let team: Schema = .map(["leads": strList, "moderators": strList, "trainees": strList])
    static let rule: Schema = .map([
        "id": .scalar, "list": .scalar, "terms": strList, "identifier": .scalar, "pattern": .scalar,
        "prefilter": .scalar, "language": .scalar, "role": .scalar, "weight": .scalar, "category": .scalar,
        "severity": .scalar, "description": .scalar,
    ])
    static let flag: Schema = .map([
        "flag": .scalar, "description": .scalar, "review_at": .scalar, "flag_at": .scalar, "act_at": .scalar,
        "max_decision": .scalar, "default_action": .scalar,
        "escalation": .map(["name": .scalar, "contact": .scalar]),
        "obfuscation": .scalar, "context": .scalar, "modifiers": .dict(.scalar), "require": strList,
        "missing_cue_factor": .scalar, "sentiment_weight": .scalar, "rules": .list(rule),
    ])
    static let context: Schema = .map([
        "window": .scalar,
        "languages": .dict(.map([
            "stopwords": strList, "negation_pre": strList, "negation_post": strList, "pseudo_negation": strList,
            "terminators": strList, "relative": strList, "other": strList, "selfref": strList, "history": strList,
            "hypothetical": strList, "figurative": strList, "present": strList,
        ])),
    ])
    static let sentiment: Schema = .map([
        "negation_factor": .scalar, "intensifier_factor": .scalar, "diminisher_factor": .scalar,
        "before_contrast": .scalar, "after_contrast": .scalar, "caps_factor": .scalar, "exclamation_boost": .scalar,
        "neutral_band": .scalar, "mixed_ratio": .scalar, "mixed_min": .scalar,
        "languages": .dict(.map(["lexicon": strList, "negators": strList, "intensifiers": strList,
                                 "diminishers": strList, "contrast": strList])),
        "model": .map(["file": .scalar, "neutral_margin": .scalar, "mixed_margin": .scalar, "opposite_margin": .scalar, "min_docs": .scalar, "l2": .scalar,
                       "epochs": .scalar, "learning_rate": .scalar, "min_weight": .scalar, "ignore": strList]),
    ])
    static let allowlist: Schema = .map(["phones": strList, "emails": strList, "domains": strList, "numbers": strList])
    static let commenting: Schema = .map([
        "policy_url": .scalar,
        "reasons": .list(.map(["code": .scalar, "label": .scalar, "action": .scalar, "description": .scalar])),
        "offensive_categories": .dict(.scalar),
    ])
    static let guardSchema: Schema = .map([
        "name_window": .scalar,
        "languages": .dict(.map(["relationship": strList, "clinician_titles": strList])),
    ])
    static let templates: Schema = .map([
        "templates": .list(.map([
            "id": .scalar, "flag": .scalar, "language": .scalar, "title": .scalar, "body": .scalar,
            "recommended": .scalar,
            "when": .map(["category": strList, "sentiment": strList, "kinds": strList]),
        ])),
    ])
    static let examples: Schema = .map([
        "flag": .scalar,
        "examples": .list(.map([
            "text": .scalar, "expect": .scalar, "language": .scalar, "kind": .scalar, "rating": .scalar,
            "platform": .scalar, "severity": .scalar, "category": .scalar, "sentiment": .scalar,
            "template": .scalar, "note": .scalar,
        ])),
    ])
}

/// A parsed YAML file: its text, node tree and display path.
struct YAMLDoc {
    var path: String      // display path, e.g. Policies/flags/offensive.yml
    var text: String
    var node: Node

    /// `resolver`: `.basic` for files of only text and whole numbers (it types every scalar
    /// as text, which `Int` and `String` decode alike) because it compiles no regular
    /// expressions; Yams's default compiles seven, a tenth of the console's time to first frame.
    static func load(url: URL, display: String, schema: Schema, resolver: Resolver = .default) throws -> YAMLDoc {
        guard let data = try? Data(contentsOf: url) else {
            throw PolicyError(file: display, line: 0, message: "cannot read file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw PolicyError(file: display, line: 0, message: "not valid UTF-8")
        }
        let node: Node
        do {
            guard let n = try Yams.compose(yaml: text, resolver) else {
                throw PolicyError(file: display, line: 1, message: "empty file")
            }
            node = n
        } catch let e as PolicyError {
            throw e
        } catch let e as YamlError {
            throw PolicyError(file: display, line: YAMLDoc.line(of: e), message: "YAML syntax error: \(YAMLDoc.short(e))")
        } catch {
            throw PolicyError(file: display, line: 1, message: "YAML error: \(error)")
        }
        let doc = YAMLDoc(path: display, text: text, node: node)
        try doc.validate(node, schema)
        return doc
    }

    static func line(of e: YamlError) -> Int {
        switch e {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            return mark.line
        case .duplicatedKeysInMapping(_, let ctx):
            return ctx.mark.line
        default:
            return 1
        }
    }

    static func short(_ e: YamlError) -> String {
        switch e {
        case .scanner(_, let problem, _, _), .parser(_, let problem, _, _), .composer(_, let problem, _, _):
            return problem
        case .duplicatedKeysInMapping(let d, _):
            return "duplicate keys \(d.joined(separator: ", "))"
        default:
            return "\(e)"
        }
    }

    func validate(_ node: Node, _ schema: Schema) throws {
        let line = node.mark?.line ?? 1
        switch schema {
        case .scalar:
            if node.scalar == nil {
                throw PolicyError(file: path, line: line, message: "expected a single value")
            }
        case .list(let inner):
            guard let seq = node.sequence else {
                throw PolicyError(file: path, line: line, message: "expected a list")
            }
            for item in seq { try validate(item, inner) }
        case .dict(let inner):
            guard let map = node.mapping else {
                throw PolicyError(file: path, line: line, message: "expected a mapping")
            }
            for (_, v) in map { try validate(v, inner) }
        case .map(let fields):
            guard let map = node.mapping else {
                throw PolicyError(file: path, line: line, message: "expected a mapping")
            }
            var seen = Set<String>()
            for (k, v) in map {
                let key = k.string ?? ""
                let kl = k.mark?.line ?? line
                guard let sub = fields[key] else {
                    let expected = fields.keys.sorted().joined(separator: ", ")
                    throw PolicyError(file: path, line: kl, message: "unknown key '\(key)' (expected one of \(expected))")
                }
                if !seen.insert(key).inserted {
                    throw PolicyError(file: path, line: kl, message: "duplicate key '\(key)'")
                }
                try validate(v, sub)
            }
        }
    }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        do {
            return try YAMLDecoder().decode(type, from: node)
        } catch let e as DecodingError {
            var pathKeys: [CodingKey] = []
            var msg = "\(e)"
            switch e {
            case .keyNotFound(let k, let ctx):
                pathKeys = ctx.codingPath
                msg = "missing key '\(k.stringValue)'"
            case .typeMismatch(let t, let ctx):
                pathKeys = ctx.codingPath
                msg = "'\(ctx.codingPath.last?.stringValue ?? "")' has the wrong type (expected \(t))"
            case .valueNotFound(let t, let ctx):
                pathKeys = ctx.codingPath
                msg = "missing value for '\(ctx.codingPath.last?.stringValue ?? "")' (expected \(t))"
            case .dataCorrupted(let ctx):
                pathKeys = ctx.codingPath
                msg = "invalid value for '\(ctx.codingPath.last?.stringValue ?? "")': \(ctx.debugDescription)"
            @unknown default:
                break
            }
            throw PolicyError(file: path, line: lineFor(pathKeys), message: msg)
        }
    }

    /// Line of the node at a coding path (the deepest node that exists).
    func lineFor(_ path: [CodingKey]) -> Int {
        var n = node
        var line = node.mark?.line ?? 1
        for k in path {
            if let i = k.intValue, let seq = n.sequence, i < seq.count {
                n = seq[i]
            } else if let map = n.mapping, let v = map[k.stringValue] {
                if let km = map.first(where: { $0.key.string == k.stringValue })?.key.mark { line = km.line }
                n = v
                continue
            } else {
                break
            }
            line = n.mark?.line ?? line
        }
        return line
    }

    /// Line of `path` like ["rules", 3, "pattern"].
    func line(_ comps: [Any]) -> Int {
        var n = node
        var line = node.mark?.line ?? 1
        for c in comps {
            if let i = c as? Int, let seq = n.sequence, i < seq.count {
                n = seq[i]
                line = n.mark?.line ?? line
            } else if let s = c as? String, let map = n.mapping, let pair = map.first(where: { $0.key.string == s }) {
                n = pair.value
                line = pair.value.mark?.line ?? pair.key.mark?.line ?? line
            } else {
                break
            }
        }
        return line
    }
}

/// One line of a word list: `term | weight | category | severity`.
struct ListLine {
    var term: String
    var weight: Double?
    var category: String?
    var severity: String?
    var line: Int
}

/// A word list, `term | weight | category | severity` a line, `#` to the end of a line a
/// comment. Read by bytes: through `String.split` and `trimmingCharacters` the 3,000 lines
/// of the shipped lists took 167 million instructions, a quarter of loading the policies.
func parseList(url: URL, display: String) throws -> [ListLine] {
    guard let data = try? Data(contentsOf: url), let text = String(data: data, encoding: .utf8) else {
        throw PolicyError(file: display, line: 0, message: "cannot read word list")
    }
    var out: [ListLine] = []
    for (i, raw) in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
        let ln = i + 1
        var line = raw
        if let h = line.firstIndex(of: UInt8(ascii: "#")) { line = line[..<h] }
        let parts = line.split(separator: UInt8(ascii: "|"), omittingEmptySubsequences: false).map(listField)
        guard let term = parts.first, !term.isEmpty else {
            if parts.count > 1 { throw PolicyError(file: display, line: ln, message: "missing term before '|'") }
            continue
        }
        if parts.count > 4 { throw PolicyError(file: display, line: ln, message: "too many fields (expected term | weight | category | severity)") }
        var w: Double? = nil
        if parts.count > 1, !parts[1].isEmpty {
            guard let d = Double(parts[1]), d >= -5, d <= 5 else {
                throw PolicyError(file: display, line: ln, message: "weight '\(parts[1])' is not a number")
            }
            w = d
        }
        let cat = parts.count > 2 && !parts[2].isEmpty ? parts[2] : nil
        let sev = parts.count > 3 && !parts[3].isEmpty ? parts[3] : nil
        out.append(ListLine(term: term, weight: w, category: cat, severity: sev, line: ln))
    }
    return out
}

/// One field of a word-list line without the blanks around it: what `.whitespaces` trims
/// (tabs and every space separator), and a carriage return left by Windows line ends.
private func listField(_ bytes: Substring.UTF8View.SubSequence) -> String {
    let scalars = Substring(bytes).unicodeScalars
    let blank: (Unicode.Scalar) -> Bool = { $0 == "\t" || $0 == "\r" || $0.properties.generalCategory == .spaceSeparator }
    guard let first = scalars.firstIndex(where: { !blank($0) }), let last = scalars.lastIndex(where: { !blank($0) }) else { return "" }
    return String(scalars[first...last])
}

/// A stable 128-bit FNV-1a hash in hex.
struct StableHash {
    var a: UInt64 = 0xcbf29ce484222325
    var b: UInt64 = 0x84222325cbf29ce4
    mutating func add(_ bytes: some Sequence<UInt8>) {
        for x in bytes {
            a = (a ^ UInt64(x)) &* 0x100000001b3
            b = (b ^ UInt64(x ^ 0x5A)) &* 0x100000001b3
        }
    }
    var hex: String { String(format: "%016llx%016llx", a, b) }
}
