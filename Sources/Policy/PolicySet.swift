import Foundation
import InboxModel
import Yams

/// What a compiled rule does when one of its terms matches.
enum TermRole: String, Sendable, CaseIterable {
    case evidence, cue, allow
    // context
    case negPre, negPost, pseudoNeg, terminator, relative, other, selfRef, history, hypothetical, figurative, present
    // sentiment
    case sentiment, sNegator, sIntensifier, sDiminisher, sContrast

    static let count = TermRole.allCases.count
    var index: Int {
        switch self {
        case .evidence: 0
        case .cue: 1
        case .allow: 2
        case .negPre: 3
        case .negPost: 4
        case .pseudoNeg: 5
        case .terminator: 6
        case .relative: 7
        case .other: 8
        case .selfRef: 9
        case .history: 10
        case .hypothetical: 11
        case .figurative: 12
        case .present: 13
        case .sentiment: 14
        case .sNegator: 15
        case .sIntensifier: 16
        case .sDiminisher: 17
        case .sContrast: 18
        }
    }
}

enum RuleSource: Sendable {
    case list, identifier(IdentifierKind), pattern(NSRegularExpressionBox, prefilter: String)
}

/// NSRegularExpression is immutable and thread-safe once compiled.
final class NSRegularExpressionBox: @unchecked Sendable {
    let regex: NSRegularExpression
    init(_ r: NSRegularExpression) { regex = r }
}

struct CompiledRule: Sendable {
    var id: String
    var flag: FlagName?
    var file: String
    var line: Int
    var role: TermRole
    var source: RuleSource
    var weight: Double
    var category: String?
    var severity: String?
    var language: String
}

/// Per-flag settings from `Policies/flags/<flag>.yml`.
public struct FlagPolicy: Sendable {
    public var flag: FlagName
    public var file: String
    public var description: String
    public var reviewAt: Double
    public var flagAt: Double
    public var actAt: Double
    public var maxDecision: Decision
    public var defaultAction: String
    public var escalationName: String
    public var escalationContact: String
    var obfuscation: Bool
    var context: Bool
    var modifiers: [String: Double]
    var requireCue: Bool
    var missingCueFactor: Double
    /// How much a clearly positive or negative text adds to the score (review feedback).
    var sentimentWeight: Double = 0

    func decision(for score: Double) -> Decision? {
        var d: Decision?
        if score >= actAt { d = .act } else if score >= flagAt { d = .flag } else if score >= reviewAt { d = .review }
        if let x = d, x > maxDecision { d = maxDecision }
        return d
    }

    func modifier(_ name: String, _ fallback: Double) -> Double { modifiers[name] ?? fallback }
}

struct SentimentSettings: Sendable {
    var negationFactor = -0.74
    var intensifierFactor = 1.3
    var diminisherFactor = 0.7
    var beforeContrast = 0.5
    var afterContrast = 1.5
    var capsFactor = 1.25
    var exclamationBoost = 0.3
    var neutralBand = 0.05
    var mixedRatio = 0.6
    var mixedMin = 2.0
    /// The learned model, when sentiment.yml names one.
    var model: SentimentModel?
    /// |log-odds| below this reads as neutral when the lexicon found no word either.
    var neutralMargin = 1.0
    /// |log-odds| below this reads as mixed when the lexicon found strong words both ways.
    var mixedMargin = 1.5
    /// |log-odds| beyond this against a star rating: the text clearly says the opposite.
    var oppositeMargin = 3.0
    var training: SentimentTrainingSettings?
    var modelPath: String?
}

/// An example from `Policies/tests/*.yml`.
public struct PolicyExample: Sendable {
    public var file: String
    public var line: Int
    public var flag: FlagName
    public var text: String
    public var expect: String
    public var kind: MessageKind?
    public var rating: Int?
    public var platform: Platform?
    public var severity: String?
    public var category: String?
    public var sentiment: String?
    public var template: String?
}

public struct ReplyTemplate: Sendable, Equatable {
    public var id: String
    public var flag: FlagName
    public var language: String
    public var title: String
    public var body: String
    public var recommended: Bool
    public var categories: [String]
    public var sentiments: [String]
    public var kinds: [String]
    public var file: String
    public var line: Int
}

/// Everything in `Policies/`, decoded and compiled.
public struct PolicySet: Sendable {
    public var directory: URL
    public var version: String
    public var organization: Organization
    public var flagPolicies: [FlagName: FlagPolicy]
    public var removalReasons: [RemovalReason]
    public var commentingPolicyURL: String
    /// Offensive category -> removal reason code.
    public var offensiveReasonCodes: [String: String]
    public var replyTemplates: [ReplyTemplate]
    /// Policy files read, relative to the directory.
    public var files: [String]

    var rules: [CompiledRule]
    var ruleRoles: [TermRole]
    var tries: [String: PhraseTrie]          // "en", "es", "all"
    var obfuscationIndex: [String: [Int32]]  // squeezed single-token terms -> payload ids in tries["all"]
    var wildcardTerms: [Int: [(String, [Int32])]]
    var falsePositives: Set<String>
    var stopwords: [String: Set<String>]
    /// One lookup per token for language detection: bit 1 English, bit 2 Spanish.
    var stopwordMask: [String: UInt8]
    var contextWindow: Int
    var sentiment: SentimentSettings
    var allowlist: Allowlist
    var guardPhrases: PhraseTrie
    var clinicianTitles: Set<String>
    var guardNameWindow: Int
    var identifierRules: [Int]
    var patternRules: [Int]
    var identifierKinds: Set<IdentifierKind>

    /// Escalation contact per flag.
    public var escalation: [FlagName: String] {
        var m: [FlagName: String] = [:]
        for (k, v) in flagPolicies { m[k] = "\(v.escalationName): \(v.escalationContact)" }
        return m
    }

    /// `$ROUNDS_POLICIES`, else `<executable dir>/../share/rounds/Policies`, else the first
    /// `Policies/organization.yml` found walking up from the executable and from the cwd.
    public static func defaultDirectory() -> URL? {
        let fm = FileManager.default
        if let env = ProcessInfo.processInfo.environment["ROUNDS_POLICIES"], !env.isEmpty {
            return URL(fileURLWithPath: env)
        }
        let exe = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
        let exeDir = exe.deletingLastPathComponent()
        let share = exeDir.appendingPathComponent("../share/rounds/Policies").standardizedFileURL
        if fm.fileExists(atPath: share.appendingPathComponent("organization.yml").path) { return share }
        for start in [exeDir, URL(fileURLWithPath: fm.currentDirectoryPath)] {
            var d = start.standardizedFileURL
            for _ in 0..<12 {
                let p = d.appendingPathComponent("Policies")
                if fm.fileExists(atPath: p.appendingPathComponent("organization.yml").path) { return p }
                let parent = d.deletingLastPathComponent()
                if parent.path == d.path { break }
                d = parent
            }
        }
        return nil
    }

    public func flagPolicy(_ f: FlagName) -> FlagPolicy? { flagPolicies[f] }
}

// MARK: - Loading

extension PolicySet {
    /// `sentimentModel: false` leaves the learned model out (training builds it from the rest).
    public static func load(from directory: URL, sentimentModel: Bool = true) throws -> PolicySet {
        var loader = PolicyLoader(dir: directory.standardizedFileURL)
        loader.readsSentimentModel = sentimentModel
        return try loader.load()
    }

    /// The must-flag and must-not-flag examples of `tests/*.yml`, decoded from the directory
    /// (only `policy check` needs them: loading for classification reads them for the version).
    public func loadExamples() throws -> [PolicyExample] {
        var loader = PolicyLoader(dir: directory.standardizedFileURL)
        return try loader.loadExamples()
    }

    /// How sentiment.yml says the model is trained, and where its weights go (relative to the
    /// directory); nil when it names no model.
    public var sentimentTraining: (settings: SentimentTrainingSettings, file: String)? {
        guard let t = sentiment.training, let f = sentiment.modelPath else { return nil }
        return (t, f)
    }

    /// Only `organization.yml`, checked as `load` checks it (for what must be known at once,
    /// while the rest loads).
    public static func loadOrganization(from directory: URL) throws -> Organization {
        var loader = PolicyLoader(dir: directory.standardizedFileURL)
        return try Organization(YAMLFields(loader.yaml("organization.yml", Schemas.organization, resolver: .basic)))
    }
}

struct PolicyLoader {
    let dir: URL
    var readsSentimentModel = true
    var hash = StableHash()
    var files: [String] = []
    var rules: [CompiledRule] = []
    var ruleIDs: [String: String] = [:]  // id -> "file:line"
    /// Rules whose terms go into the automata, with those terms.
    var pending: [(rule: Int, terms: [ListLine])] = []
    /// Terms the offensive flag allows (false positives of its lists).
    var falsePositives = Set<String>()

    init(dir: URL) { self.dir = dir }

    var displayRoot: String { "Policies" }
    func display(_ rel: String) -> String { "Policies/" + rel }

    mutating func yaml(_ rel: String, _ schema: Schema, resolver: Resolver = .default) throws -> YAMLDoc {
        let url = dir.appendingPathComponent(rel)
        let doc = try YAMLDoc.load(url: url, display: display(rel), schema: schema, resolver: resolver)
        hash.add(rel.utf8)
        hash.add(doc.text.utf8)
        files.append(rel)
        return doc
    }

    func yamlFiles(in sub: String) -> [String] {
        let base = dir.appendingPathComponent(sub)
        guard let en = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil) else { return [] }
        var out: [String] = []
        for case let u as URL in en where u.pathExtension == "yml" || u.pathExtension == "yaml" {
            let rel = sub + "/" + u.path.dropFirst(base.path.count + 1)
            out.append(rel)
        }
        return out.sorted()
    }

    /// Reads and compiles every policy file. The order matters: it is the order the files
    /// enter the version hash and the rules get their numbers.
    mutating func load() throws -> PolicySet {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir.path, isDirectory: &isDir), isDir.boolValue else {
            throw PolicyError(file: dir.path, line: 0, message: "policy directory not found")
        }
        let org = try Organization(YAMLFields(yaml("organization.yml", Schemas.organization, resolver: .basic)))
        let allow = try loadAllowlist(org)
        let (contextWindow, stopwords) = try loadContext()
        let sentiment = try loadSentiment()
        let flagPolicies = try loadFlags()
        let automata = try buildAutomata(flagPolicies)
        let commenting = try loadCommenting()
        let guardWords = try loadGuard()
        let templates = try loadTemplates()
        // the examples are policy check's: read for the version, decoded only when checked
        try hashExamples()
        // NOTICE and word lists are part of the version too.
        if let notice = try? Data(contentsOf: dir.appendingPathComponent("NOTICE")) { hash.add(notice) }

        var identifierRules: [Int] = []
        var patternRules: [Int] = []
        var kinds = Set<IdentifierKind>()
        for (i, r) in rules.enumerated() {
            switch r.source {
            case .identifier(let k): identifierRules.append(i); kinds.insert(k)
            case .pattern: patternRules.append(i)
            case .list: break
            }
        }
        var stopwordMask: [String: UInt8] = [:]
        for w in stopwords["en"] ?? [] { stopwordMask[w, default: 0] |= 1 }
        for w in stopwords["es"] ?? [] { stopwordMask[w, default: 0] |= 2 }
        return PolicySet(
            directory: dir, version: hash.hex, organization: org, flagPolicies: flagPolicies, removalReasons: commenting.reasons,
            commentingPolicyURL: commenting.policy_url, offensiveReasonCodes: commenting.offensive_categories, replyTemplates: templates,
            files: files, rules: rules, ruleRoles: rules.map(\.role), tries: automata.tries,
            obfuscationIndex: automata.obfuscation, wildcardTerms: automata.wildcards, falsePositives: falsePositives,
            stopwords: stopwords, stopwordMask: stopwordMask, contextWindow: contextWindow, sentiment: sentiment, allowlist: allow,
            guardPhrases: guardWords.phrases, clinicianTitles: guardWords.titles, guardNameWindow: guardWords.nameWindow,
            identifierRules: identifierRules, patternRules: patternRules, identifierKinds: kinds)
    }

    /// The organisation's own contacts and the crisis numbers, which no rule may flag.
    mutating func loadAllowlist(_ org: Organization) throws -> Allowlist {
        let allowDoc = try yaml("allowlist.yml", Schemas.allowlist)
        let allowFile = try allowDoc.decode(AllowlistFile.self)
        var allow = Allowlist()
        for p in allowFile.phones + allowFile.numbers + [org.phone, org.patient_relations.phone, org.numbers.emergency, org.numbers.crisis, org.numbers.poison] {
            let d = p.filter(\.isASCII).filter(\.isNumber)
            if !d.isEmpty { allow.digits.insert(String(d)) }
        }
        for e in allowFile.emails + [org.patient_relations.email] { allow.emails.insert(e.lowercased()) }
        for d in allowFile.domains { allow.domains.insert(d.lowercased()) }
        for link in [org.website, org.booking_link, org.numbers.crisis_chat] {
            if let h = URL(string: link.contains("://") ? link : "https://" + link)?.host { allow.domains.insert(h.lowercased().replacingOccurrences(of: "www.", with: "")) }
        }

        return allow
    }

    /// A rule whose terms come from `terms`, compiled with the word lists later.
    mutating func addTermRule(_ rule: CompiledRule, _ terms: [ListLine]) {
        pending.append((rules.count, terms))
        rules.append(rule)
    }

    /// Context cues (negation, history, figurative, ...) per language, as rules in the same
    /// automata as the flags' terms; the context window and each language's stopwords.
    mutating func loadContext() throws -> (window: Int, stopwords: [String: Set<String>]) {
        let ctxDoc = try yaml("context.yml", Schemas.context)
        let ctx = try ctxDoc.decode(ContextFile.self)
        var stopwords: [String: Set<String>] = [:]
        for (lang, c) in ctx.languages.sorted(by: { $0.key < $1.key }) {
            stopwords[lang] = Set(c.stopwords.flatMap { termTokens($0) })
            let groups: [(String, [String], TermRole)] = [
                ("negation_pre", c.negation_pre, .negPre), ("negation_post", c.negation_post, .negPost),
                ("pseudo_negation", c.pseudo_negation, .pseudoNeg), ("terminators", c.terminators, .terminator),
                ("relative", c.relative, .relative), ("other", c.other, .other), ("selfref", c.selfref, .selfRef),
                ("history", c.history, .history), ("hypothetical", c.hypothetical, .hypothetical),
                ("figurative", c.figurative, .figurative), ("present", c.present, .present),
            ]
            for (key, terms, role) in groups {
                let line = ctxDoc.line(["languages", lang, key])
                addTermRule(CompiledRule(id: "context.\(lang).\(key)", flag: nil, file: ctxDoc.path, line: line, role: role, source: .list, weight: 1, language: lang),
                            terms.map { ListLine(term: $0, weight: 1, category: nil, severity: nil, line: line) })
            }
        }
        return (ctx.window, stopwords)
    }

    /// The sentiment lexicons and their modifiers (negators, intensifiers, ...) per language.
    mutating func loadSentiment() throws -> SentimentSettings {
        let sentDoc = try yaml("sentiment.yml", Schemas.sentiment)
        let sent = try sentDoc.decode(SentimentFile.self)
        var ss = SentimentSettings()
        ss.negationFactor = sent.negation_factor
        ss.intensifierFactor = sent.intensifier_factor
        ss.diminisherFactor = sent.diminisher_factor
        ss.beforeContrast = sent.before_contrast
        ss.afterContrast = sent.after_contrast
        ss.capsFactor = sent.caps_factor
        ss.exclamationBoost = sent.exclamation_boost
        ss.neutralBand = sent.neutral_band
        ss.mixedRatio = sent.mixed_ratio
        ss.mixedMin = sent.mixed_min
        for (lang, c) in sent.languages.sorted(by: { $0.key < $1.key }) {
            for (k, lex) in c.lexicon.enumerated() {
                let line = sentDoc.line(["languages", lang, "lexicon", k])
                let rule = CompiledRule(id: "sentiment.\(lang)", flag: nil, file: display(lex), line: line, role: .sentiment, source: .list, weight: 1, language: lang)
                addTermRule(rule, try readList(lex, from: sentDoc, at: line))
            }
            let groups: [(String, [String], TermRole)] = [("negators", c.negators, .sNegator), ("intensifiers", c.intensifiers, .sIntensifier),
                                                     ("diminishers", c.diminishers, .sDiminisher), ("contrast", c.contrast, .sContrast)]
            for (key, terms, role) in groups {
                let line = sentDoc.line(["languages", lang, key])
                addTermRule(CompiledRule(id: "sentiment.\(lang).\(key)", flag: nil, file: sentDoc.path, line: line, role: role, source: .list, weight: 1, language: lang),
                            terms.map { ListLine(term: $0, weight: 1, category: nil, severity: nil, line: line) })
            }
        }
        if let m = sent.model { try loadSentimentModel(m, into: &ss, doc: sentDoc, languages: Set(sent.languages.keys)) }
        return ss
    }

    /// The learned model's settings and, unless training is about to replace it, its weights.
    mutating func loadSentimentModel(_ m: SentimentModelFile, into ss: inout SentimentSettings, doc: YAMLDoc, languages: Set<String>) throws {
        ss.neutralMargin = m.neutral_margin
        ss.mixedMargin = m.mixed_margin
        ss.oppositeMargin = m.opposite_margin
        ss.modelPath = m.file
        ss.training = SentimentTrainingSettings(minDocs: m.min_docs, l2: m.l2, epochs: m.epochs, learningRate: m.learning_rate, minWeight: m.min_weight, ignore: m.ignore)
        guard readsSentimentModel else { return }
        let line = doc.line(["model", "file"])
        let url = dir.appendingPathComponent(m.file)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw PolicyError(file: doc.path, line: line, message: "sentiment model '\(m.file)' not found: train it with `rounds policy train-sentiment`")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw PolicyError(file: display(m.file), line: 1, message: "not UTF-8 text")
        }
        hash.add(m.file.utf8)
        hash.add(data)
        files.append(m.file)
        let model = try SentimentModel.parse(text, display: display(m.file), languages: languages)
        if let t = ss.training, model.settings != t.summary {
            throw PolicyError(file: display(m.file), line: 1, message: "trained with '\(model.settings)' but sentiment.yml now says '\(t.summary)': retrain with `rounds policy train-sentiment`")
        }
        ss.model = model
    }

    /// `flags/*.yml`: each flag's thresholds and modifiers, and its rules.
    mutating func loadFlags() throws -> [FlagName: FlagPolicy] {
        var flagPolicies: [FlagName: FlagPolicy] = [:]
        for rel in yamlFiles(in: "flags") {
            let doc = try yaml(rel, Schemas.flag)
            let f = try doc.decode(FlagFile.self)
            let policy = try flagPolicy(f, in: doc, alreadyDefined: Set(flagPolicies.keys))
            flagPolicies[policy.flag] = policy
            for (k, r) in f.rules.enumerated() { try addFlagRule(r, number: k, of: policy.flag, in: doc) }
        }
        for f in FlagName.allCases where flagPolicies[f] == nil {
            throw PolicyError(file: display("flags/\(f.rawValue).yml"), line: 0, message: "missing policy file for flag '\(f.rawValue)'")
        }
        return flagPolicies
    }

    func flagPolicy(_ f: FlagFile, in doc: YAMLDoc, alreadyDefined: Set<FlagName>) throws -> FlagPolicy {
        guard let name = FlagName(rawValue: f.flag) else {
            throw PolicyError(file: doc.path, line: doc.line(["flag"]), message: "unknown flag '\(f.flag)' (expected one of \(FlagName.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        if alreadyDefined.contains(name) {
            throw PolicyError(file: doc.path, line: doc.line(["flag"]), message: "flag '\(f.flag)' is defined twice")
        }
        guard 0 <= f.review_at, f.review_at < f.flag_at, f.flag_at < f.act_at else {
            throw PolicyError(file: doc.path, line: doc.line(["review_at"]), message: "thresholds must satisfy 0 <= review_at < flag_at < act_at")
        }
        var maxD = Decision.act
        if let m = f.max_decision {
            guard let d = Decision(rawValue: m) else {
                throw PolicyError(file: doc.path, line: doc.line(["max_decision"]), message: "max_decision '\(m)' must be review, flag or act")
            }
            maxD = d
        }
        for (k, _) in f.modifiers ?? [:] where !["negated", "figurative", "hypothetical", "history", "other", "generic", "present", "relative", "obfuscated"].contains(k) {
            throw PolicyError(file: doc.path, line: doc.line(["modifiers", k]), message: "unknown modifier '\(k)' (expected one of negated, figurative, hypothetical, history, other, relative, generic, present, obfuscated)")
        }
        return FlagPolicy(
            flag: name, file: doc.path, description: f.description ?? "", reviewAt: f.review_at, flagAt: f.flag_at, actAt: f.act_at,
            maxDecision: maxD, defaultAction: f.default_action, escalationName: f.escalation.name, escalationContact: f.escalation.contact,
            obfuscation: f.obfuscation ?? false, context: f.context ?? false, modifiers: f.modifiers ?? [:],
            requireCue: (f.require ?? []).contains("cue"), missingCueFactor: f.missing_cue_factor ?? 0.3, sentimentWeight: f.sentiment_weight ?? 0)
    }

    /// One rule of a flag file: a word list, inline terms, an identifier or a guarded regex.
    mutating func addFlagRule(_ r: RuleFile, number k: Int, of name: FlagName, in doc: YAMLDoc) throws {
        let line = doc.line(["rules", k, "id"])
        if let prev = ruleIDs[r.id] {
            throw PolicyError(file: doc.path, line: line, message: "duplicate rule id '\(r.id)' (first defined at \(prev))")
        }
        ruleIDs[r.id] = "\(doc.path):\(line)"
        let roleName = r.role ?? "evidence"
        guard let role = TermRole(rawValue: roleName), [.evidence, .cue, .allow].contains(role) else {
            throw PolicyError(file: doc.path, line: doc.line(["rules", k, "role"]), message: "unknown role '\(roleName)' (expected evidence, cue or allow)")
        }
        let lang = r.language ?? "all"
        guard ["en", "es", "all"].contains(lang) else {
            throw PolicyError(file: doc.path, line: doc.line(["rules", k, "language"]), message: "unknown language '\(lang)' (expected en, es or all)")
        }
        let sources = [r.list != nil, r.terms != nil, r.identifier != nil, r.pattern != nil].filter { $0 }.count
        guard sources == 1 else {
            throw PolicyError(file: doc.path, line: line, message: "rule '\(r.id)' needs exactly one of list, terms, identifier, pattern")
        }
        let w = r.weight ?? 1.0
        guard w >= 0, w <= 1 else {
            throw PolicyError(file: doc.path, line: doc.line(["rules", k, "weight"]), message: "weight must be between 0 and 1")
        }
        var rule = CompiledRule(id: r.id, flag: name, file: doc.path, line: line, role: role, source: .list, weight: w, category: r.category, severity: r.severity, language: lang)
        if let list = r.list {
            rule.file = display(list)
            let idx = rules.count
            rules.append(rule)
            var lines = try readList(list, from: doc, at: doc.line(["rules", k, "list"]))
            if role == .allow && name == .offensive { for l in lines { falsePositives.insert(l.term.lowercased()) } }
            for i in lines.indices { lines[i].weight = (lines[i].weight ?? 1) }
            pending.append((idx, lines))
        } else if let terms = r.terms {
            let idx = rules.count
            rules.append(rule)
            if role == .allow && name == .offensive { for t in terms { falsePositives.insert(t.lowercased()) } }
            pending.append((idx, terms.enumerated().map { ListLine(term: $0.element, weight: 1, category: nil, severity: nil, line: doc.line(["rules", k, "terms", $0.offset])) }))
        } else if let ident = r.identifier {
            guard let kind = IdentifierKind(rawValue: ident) else {
                throw PolicyError(file: doc.path, line: doc.line(["rules", k, "identifier"]), message: "unknown identifier '\(ident)' (expected one of \(IdentifierKind.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            rule.source = .identifier(kind)
            rules.append(rule)
        } else if let pat = r.pattern {
            let pline = doc.line(["rules", k, "pattern"])
            guard let pre = r.prefilter, !pre.isEmpty else {
                throw PolicyError(file: doc.path, line: pline, message: "pattern rule '\(r.id)' needs a literal 'prefilter' so the regex only runs when it can match")
            }
            let re: NSRegularExpression
            do {
                re = try NSRegularExpression(pattern: pat, options: [.caseInsensitive])
            } catch {
                throw PolicyError(file: doc.path, line: pline, message: "pattern does not compile: \(pat)")
            }
            if let risk = PatternSafety.backtrackingRisk(pat) {
                throw PolicyError(file: doc.path, line: pline, message: "pattern of rule '\(r.id)' refused: \(risk)")
            }
            rule.source = .pattern(NSRegularExpressionBox(re), prefilter: pre.lowercased())
            rules.append(rule)
        }
    }

    /// The compiled phrase automata: one per language and one over everything for text whose
    /// language is uncertain, plus the obfuscation index of single-word evidence terms.
    struct Automata {
        var tries: [String: PhraseTrie]
        var obfuscation: [String: [Int32]]
        var wildcards: [Int: [(String, [Int32])]]
    }

    func buildAutomata(_ flagPolicies: [FlagName: FlagPolicy]) throws -> Automata {
        var tries: [String: PhraseTrie] = ["en": PhraseTrie(), "es": PhraseTrie(), "all": PhraseTrie()]
        var obf: [String: [Int32]] = [:]
        var wild: [Int: [(String, [Int32])]] = [:]
        for (ri, lines) in pending {
            let rule = rules[ri]
            for l in lines {
                let p = TermPayload(rule: Int32(ri), weight: (l.weight ?? 1) * (rule.role == .sentiment ? 1 : rule.weight), category: l.category ?? rule.category, severity: l.severity ?? rule.severity, term: l.term, line: Int32(l.line))
                let langs = rule.language == "all" ? ["en", "es"] : [rule.language]
                let edges = PhraseTrie.edges(for: l.term)
                if edges.isEmpty {
                    throw PolicyError(file: rule.file, line: l.line, message: "term '\(l.term)' has no words")
                }
                for lg in langs where tries[lg] != nil {
                    tries[lg]!.insert(edges: edges, payload: p)
                }
                tries["all"]!.insert(edges: edges, payload: p)
                if let flag = rule.flag, flagPolicies[flag]?.obfuscation == true, rule.role == .evidence {
                    let toks = termTokens(l.term.replacingOccurrences(of: "*", with: ""))
                    if toks.count == 1 {
                        let pid = Int32(tries["all"]!.payloads.count - 1)
                        obf[squeeze(toks[0]), default: []].append(pid)
                        wild[toks[0].unicodeScalars.count, default: []].append((toks[0], [pid]))
                    }
                }
            }
        }
        return Automata(tries: tries, obfuscation: obf, wildcards: wild)
    }

    /// The commenting policy's removal reasons; each hides or deletes.
    mutating func loadCommenting() throws -> CommentingFile {
        let comDoc = try yaml("commenting.yml", Schemas.commenting)
        let com = try comDoc.decode(CommentingFile.self)
        for (k, r) in com.reasons.enumerated() where !["hide", "delete"].contains(r.action) {
            throw PolicyError(file: comDoc.path, line: comDoc.line(["reasons", k, "action"]), message: "action '\(r.action)' must be hide or delete")
        }
        return com
    }

    /// The reply guard's words: phrases that confirm a patient relationship, clinician titles.
    mutating func loadGuard() throws -> (phrases: PhraseTrie, titles: Set<String>, nameWindow: Int) {
        let guardDoc = try yaml("guard.yml", Schemas.guardSchema)
        let gf = try guardDoc.decode(GuardFile.self)
        var guardTrie = PhraseTrie()
        var titles = Set<String>()
        for (lang, g) in gf.languages.sorted(by: { $0.key < $1.key }) {
            let idx = rules.count
            rules.append(CompiledRule(id: "guard.\(lang).relationship", flag: nil, file: guardDoc.path, line: guardDoc.line(["languages", lang, "relationship"]), role: .evidence, source: .list, weight: 1, language: lang))
            for t in g.relationship {
                guardTrie.insert(term: t, payload: TermPayload(rule: Int32(idx), weight: 1, category: "relationship", severity: nil, term: t, line: 0))
            }
            for t in g.clinician_titles { titles.formUnion(termTokens(t)) }
        }
        return (guardTrie, titles, gf.name_window)
    }

    /// `templates/*.yml`, each template id once.
    mutating func loadTemplates() throws -> [ReplyTemplate] {
        var templates: [ReplyTemplate] = []
        var templateIDs: [String: String] = [:]
        for rel in yamlFiles(in: "templates") {
            let doc = try yaml(rel, Schemas.templates)
            let tf = try doc.decode(TemplateFile.self)
            for (k, t) in tf.templates.enumerated() {
                let line = doc.line(["templates", k, "id"])
                if let prev = templateIDs[t.id] {
                    throw PolicyError(file: doc.path, line: line, message: "duplicate template id '\(t.id)' (first defined at \(prev))")
                }
                templateIDs[t.id] = "\(doc.path):\(line)"
                guard let fl = FlagName(rawValue: t.flag) else {
                    throw PolicyError(file: doc.path, line: doc.line(["templates", k, "flag"]), message: "unknown flag '\(t.flag)'")
                }
                templates.append(ReplyTemplate(id: t.id, flag: fl, language: t.language, title: t.title, body: t.body, recommended: t.recommended ?? false,
                                               categories: t.when?.category ?? [], sentiments: t.when?.sentiment ?? [], kinds: t.when?.kinds ?? [], file: doc.path, line: line))
            }
        }
        return templates
    }

    /// `tests/*.yml` as part of the version, exactly as `yaml` counts a file, without decoding it.
    mutating func hashExamples() throws {
        for rel in yamlFiles(in: "tests") {
            guard let data = FileManager.default.contents(atPath: dir.appendingPathComponent(rel).path) else {
                throw PolicyError(file: display(rel), line: 0, message: "cannot read file")
            }
            guard let text = String(data: data, encoding: .utf8) else {
                throw PolicyError(file: display(rel), line: 0, message: "not valid UTF-8")
            }
            hash.add(rel.utf8)
            hash.add(text.utf8)
            files.append(rel)
        }
    }

    /// `tests/*.yml`: the must-flag and must-not-flag examples `policy check` runs.
    mutating func loadExamples() throws -> [PolicyExample] {
        var examples: [PolicyExample] = []
        for rel in yamlFiles(in: "tests") {
            let doc = try yaml(rel, Schemas.examples)
            let ef = try doc.decode(ExampleFile.self)
            guard let fl = FlagName(rawValue: ef.flag) else {
                throw PolicyError(file: doc.path, line: doc.line(["flag"]), message: "unknown flag '\(ef.flag)'")
            }
            for (k, e) in ef.examples.enumerated() {
                let line = doc.line(["examples", k, "text"])
                guard ["act", "flag", "review", "none", "not_flag"].contains(e.expect) else {
                    throw PolicyError(file: doc.path, line: doc.line(["examples", k, "expect"]), message: "expect '\(e.expect)' must be act, flag, review, not_flag or none")
                }
                var kind: MessageKind? = nil
                if let ks = e.kind {
                    guard let kk = MessageKind(rawValue: ks) else { throw PolicyError(file: doc.path, line: doc.line(["examples", k, "kind"]), message: "unknown kind '\(ks)'") }
                    kind = kk
                }
                var platform: Platform? = nil
                if let ps = e.platform {
                    guard let pp = Platform(rawValue: ps) else { throw PolicyError(file: doc.path, line: doc.line(["examples", k, "platform"]), message: "unknown platform '\(ps)'") }
                    platform = pp
                }
                examples.append(PolicyExample(file: doc.path, line: line, flag: fl, text: e.text, expect: e.expect, kind: kind, rating: e.rating, platform: platform,
                                              severity: e.severity, category: e.category, sentiment: e.sentiment, template: e.template))
            }
        }
        return examples
    }

    mutating func readList(_ rel: String, from doc: YAMLDoc, at line: Int) throws -> [ListLine] {
        let url = dir.appendingPathComponent(rel)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw PolicyError(file: doc.path, line: line, message: "word list '\(rel)' not found")
        }
        let lines = try parseList(url: url, display: display(rel))
        if let d = try? Data(contentsOf: url) { hash.add(rel.utf8); hash.add(d) }
        files.append(rel)
        return lines
    }
}

/// Removes repeated letters: "fuuuck" -> "fuck", "asss" -> "as".
func squeeze(_ s: String) -> String {
    var out = String()
    var prev: Unicode.Scalar? = nil
    for c in s.unicodeScalars where c != prev {
        out.unicodeScalars.append(c)
        prev = c
    }
    return out
}
