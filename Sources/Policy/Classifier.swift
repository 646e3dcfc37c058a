import Foundation
import InboxModel

struct Hit {
    var rule: Int
    var tokStart: Int
    var tokEnd: Int
    var nStart: Int
    var nEnd: Int
    var weight: Double
    var category: String?
    var severity: String?
    var mods: Modifiers = []
    var eff: Double = 0
    /// Which term matched, as its rule and list line: two hits of one listed term are one term
    /// (a number, where a string copied for every hit retained and released it).
    var term: Int = 0

    static func term(rule: Int, line: Int32 = -1) -> Int { rule << 32 | Int(UInt32(bitPattern: line)) }
}

struct CueSpan { var a: Int; var b: Int }

/// What the context says about a hit, as bits (an array of strings per hit cost an allocation).
/// Bits are in the order the names are listed in evidence and the factors applied.
struct Modifiers: OptionSet {
    let rawValue: UInt16
    static let validated = Modifiers(rawValue: 1 << 0)
    static let keyword = Modifiers(rawValue: 1 << 1)
    static let obfuscated = Modifiers(rawValue: 1 << 2)
    static let negated = Modifiers(rawValue: 1 << 3)
    static let relative = Modifiers(rawValue: 1 << 4)
    static let other = Modifiers(rawValue: 1 << 5)
    static let selfRef = Modifiers(rawValue: 1 << 6)
    static let history = Modifiers(rawValue: 1 << 7)
    static let hypothetical = Modifiers(rawValue: 1 << 8)
    static let figurative = Modifiers(rawValue: 1 << 9)
    static let now = Modifiers(rawValue: 1 << 10)

    private static let labels = ["validated", "keyword", "obfuscated", "negated", "experiencer:relative", "experiencer:other",
                                 "experiencer:self", "temporality:history", "hypothetical", "figurative", "temporality:now"]
    /// The names shown in evidence.
    var names: [String] {
        var out: [String] = []
        for (i, label) in Modifiers.labels.enumerated() where rawValue & (1 << UInt16(i)) != 0 { out.append(label) }
        return out
    }
}

/// The flags raised for one message: usually none, one or two, so a short list searched in place
/// (a dictionary hashed on each access; an array slot per flag allocated for every message).
struct FlagResults {
    private var hits: [FlagHit] = []
    subscript(_ f: FlagName) -> FlagHit? {
        get { hits.first { $0.flag == f } }
        set {
            let i = hits.firstIndex { $0.flag == f }
            switch (i, newValue) {
            case (let i?, let v?): hits[i] = v
            case (let i?, nil): hits.remove(at: i)
            case (nil, let v?): hits.append(v)
            case (nil, nil): break
            }
        }
    }
    /// In flag order.
    var inOrder: [FlagHit] { hits.sorted { $0.flag < $1.flag } }
}

/// The classifier: one pass of normalisation, tokenising, one automaton scan, identifier
/// recognisers, context and scoring.
/// Holds the policies by reference so that each message's analysis borrows them instead of
/// copying a struct of many reference-counted fields.
final class PolicyBox: Sendable {
    let p: PolicySet
    /// For each entry of `p.patternRules`: the prefilter literal's alternatives as scalars
    /// (compiled once here instead of splitting and converting the literal on every message).
    let patternLiterals: [[[UInt32]]]
    /// Per flag rank: the flag's settings behind one reference (no struct copy per message).
    let flagSettings: [FlagSettings?]
    /// Per rule: its flag.
    let ruleFlags: [FlagName?]
    /// Per rule: whether its flag asks for the obfuscation channel.
    let ruleObfuscation: [Bool]
    /// Identifier rules by kind, in `p.identifierRules` order.
    let identifierRulesByKind: [IdentifierKind: [Int]]
    /// Per alternative of `patternLiterals`: its Horspool shift table (see `containsLiteral`).
    let patternLiteralSkips: [[[UInt8]]]
    /// Per alternative of `patternLiterals`: the ASCII scalars it needs, as a 128-bit mask.
    let patternLiteralMasks: [[(lo: UInt64, hi: UInt64)]]
    /// `p.stopwordMask` for the words that fit a `WordKey`.
    let stopwords: WordTable
    /// `p.tries` by name, without hashing the name for every message.
    let trieEN, trieES, trieAll: PhraseTrie?
    func trie(_ key: String) -> PhraseTrie? { key == "en" ? trieEN : key == "es" ? trieES : trieAll }
    /// `p.wildcardTerms` with each term as scalars.
    let wildcardTerms: [Int: [([Unicode.Scalar], [Int32])]]
    /// `p.identifierKinds` as bits.
    let identifierKinds: IdentifierKinds
    /// The words that tell a person's name from other capitalised words.
    let nameWords: NameWords
    /// `identifier: person_name` and `identifier: named_condition` rules.
    let personNameRules, namedConditionRules: [Int]
    /// Per rule: whether it finds an identifier that a name nearby makes a person's (a phone, a room...).
    let rulePersonIdentifier: [Bool]
    /// The sentiment model's languages, without hashing the language for every message.
    let sentimentEN, sentimentES: SentimentModelLanguage?
    func sentimentModel(_ language: String) -> SentimentModelLanguage? { language == "en" ? sentimentEN : language == "es" ? sentimentES : nil }
    /// Per rule: a `review.person.*` rule (a person as the target of an evaluation, not a service).
    let ruleReviewsPerson: [Bool]
    init(_ p: PolicySet) {
        self.p = p
        self.wildcardTerms = p.wildcardTerms.mapValues { terms in terms.map { (Array($0.0.unicodeScalars), $0.1) } }
        var stops = WordTable(capacity: p.stopwordMask.count)
        for (w, m) in p.stopwordMask { if let k = WordKey(w) { stops.set(k, Int32(m)) } }
        self.stopwords = stops
        (trieEN, trieES, trieAll) = (p.tries["en"], p.tries["es"], p.tries["all"])
        var byKind: [IdentifierKind: [Int]] = [:]
        for ri in p.identifierRules {
            if case .identifier(let k) = p.rules[ri].source { byKind[k, default: []].append(ri) }
        }
        self.identifierRulesByKind = byKind
        self.identifierKinds = IdentifierKinds(p.identifierKinds)
        self.nameWords = NameWords(clinicianTitles: p.clinicianTitles, stopwords: Array(p.stopwords.values))
        (personNameRules, namedConditionRules) = (byKind[.personName] ?? [], byKind[.namedCondition] ?? [])
        (sentimentEN, sentimentES) = (SentimentModelLanguage(p.sentiment.model, "en"), SentimentModelLanguage(p.sentiment.model, "es"))
        self.ruleReviewsPerson = p.rules.map { $0.id.hasPrefix("review.person.") }
        self.rulePersonIdentifier = p.rules.map { r in
            if case .identifier(let k) = r.source { return personIdentifierKinds.contains(k) }
            return false
        }
        var fs = [FlagSettings?](repeating: nil, count: FlagName.allCases.count)
        for (f, fp) in p.flagPolicies { fs[f.rank] = FlagSettings(fp) }
        self.flagSettings = fs
        self.ruleFlags = p.rules.map(\.flag)
        self.ruleObfuscation = p.rules.map { r in r.flag.map { p.flagPolicies[$0]?.obfuscation ?? false } ?? false }
        self.patternLiterals = p.patternRules.map { ri in
            guard case .pattern(_, let pre) = p.rules[ri].source else { return [] }
            return compileLiteral(pre)
        }
        self.patternLiteralSkips = patternLiterals.map { alts in alts.map(horspoolSkips) }
        self.patternLiteralMasks = patternLiterals.map { alts in
            alts.map { l in
                var lo: UInt64 = 0, hi: UInt64 = 0
                for v in l where v < 0x80 { if v < 64 { lo |= 1 << UInt64(v) } else { hi |= 1 << UInt64(v - 64) } }
                return (lo, hi)
            }
        }
    }
}

final class FlagSettings: Sendable {
    let fp: FlagPolicy
    let negated, figurative, hypothetical, history, other, relative, present, obfuscated: Double
    let reviewAt, flagAt, actAt, missingCueFactor, sentimentWeight: Double
    let maxDecision: Decision
    let context, requireCue: Bool
    init(_ fp: FlagPolicy) {
        self.fp = fp
        reviewAt = fp.reviewAt; flagAt = fp.flagAt; actAt = fp.actAt; missingCueFactor = fp.missingCueFactor; sentimentWeight = fp.sentimentWeight
        maxDecision = fp.maxDecision; context = fp.context; requireCue = fp.requireCue
        negated = fp.modifier("negated", 0.1)
        figurative = fp.modifier("figurative", 0.1)
        hypothetical = fp.modifier("hypothetical", 0.5)
        history = fp.modifier("history", 0.6)
        other = fp.modifier("other", 0.7)
        relative = fp.modifier("relative", 1.0)
        present = fp.modifier("present", 1.0)
        obfuscated = fp.modifier("obfuscated", 1.0)
    }

    /// Same as `FlagPolicy.decision(for:)`.
    func decision(for score: Double) -> Decision? {
        var d: Decision?
        if score >= actAt { d = .act } else if score >= flagAt { d = .flag } else if score >= reviewAt { d = .review }
        if let x = d, x > maxDecision { d = maxDecision }
        return d
    }
}

/// The alternatives of a prefilter literal (separated by `|`; any of them passes), as scalar arrays.
func compileLiteral(_ lit: String) -> [[UInt32]] {
    if lit.contains("|") && lit.count > 1 {
        return lit.split(separator: "|").filter { !$0.isEmpty }.map { $0.unicodeScalars.map(\.value) }
    }
    return [lit.unicodeScalars.map(\.value)]
}

/// Horspool's shift table for `l`, by the low byte of the text's scalar under the literal's
/// last one: how far the literal can move on. Scalars sharing a low byte share an entry, which
/// keeps the smallest shift of them (a smaller shift only costs a comparison more).
func horspoolSkips(_ l: [UInt32]) -> [UInt8] {
    let m = l.count
    var skip = [UInt8](repeating: UInt8(min(max(m, 1), 255)), count: 256)
    for k in 0..<max(m - 1, 0) { skip[Int(l[k] & 0xFF)] = UInt8(min(m - 1 - k, 255)) }
    return skip
}

/// Whether `l` occurs in `s` (an empty literal always does). Horspool's search: the text is read
/// in steps of up to the literal's length instead of scalar by scalar (the prefilters scan every
/// long text whole for each literal that does not occur).
func containsLiteral(_ s: UnsafeBufferPointer<UInt32>, _ l: [UInt32], skip: [UInt8]) -> Bool {
    let m = l.count
    guard m > 0 else { return true }
    guard m <= s.count else { return false }
    return l.withUnsafeBufferPointer { l in
        skip.withUnsafeBufferPointer { skip in
            let last = l[m - 1]
            var i = m - 1  // where the literal's last scalar lies in `s`
            while i < s.count {
                let c = s[i]
                if c == last {
                    var k = 1
                    while k < m && s[i - k] == l[m - 1 - k] { k += 1 }
                    if k == m { return true }
                }
                i += Int(skip[Int(c & 0xFF)])
            }
            return false
        }
    }
}

public struct Classifier: Sendable {
    public let policies: PolicySet
    let box: PolicyBox

    public init(policies: PolicySet) {
        self.policies = policies
        self.box = PolicyBox(policies)
    }

    /// Texts longer than this (in Unicode scalars) are classified on their first part only and marked
    /// for review as spam: no platform accepts posts of that size, and memory stays bounded.
    public static let maxScalars = 2_000_000

    public func classify(_ text: String, platform: Platform? = nil, kind: MessageKind? = nil, rating: Int? = nil) -> Classification {
        guard text.utf8.count > Classifier.segmentedAbove else {
            var a = Analysis(box: box, text: text)
            return a.run(kind: kind, rating: rating)
        }
        var utf8 = Array(text.utf8)
        // Where the scalar after the first `maxScalars` starts, if the text is longer than that.
        var scalars = 0
        var oversizeAt: Int?
        for (i, byte) in utf8.enumerated() where byte & 0xC0 != 0x80 {
            if scalars == Classifier.maxScalars { oversizeAt = i; break }
            scalars += 1
        }
        guard let cut = oversizeAt else { return classifySegmented(utf8, kind: kind, rating: rating) }
        let total = text.unicodeScalars.count
        utf8.removeSubrange(cut...)
        var c = classifySegmented(utf8, kind: kind, rating: rating)
        let ev = Evidence(rule: "spam.oversize", file: policies.flagPolicies[.spam]?.file ?? "Policies/flags/spam.yml",
                          span: [Classifier.maxScalars, total], text: "",
                          modifiers: ["oversize", "classified:first \(Classifier.maxScalars) scalars"], contribution: 0)
        if let i = c.flags.firstIndex(where: { $0.flag == .spam }) {
            c.flags[i].evidence.append(ev)
        } else {
            c.flags.append(FlagHit(flag: .spam, decision: .review, score: policies.flagPolicies[.spam]?.reviewAt ?? 0.3, category: "oversize", evidence: [ev]))
            c.flags.sort { $0.flag < $1.flag }
        }
        return c
    }

    /// Identifiers found in a text (used by the reply guard).
    func identifiers(in text: String, kinds: Set<IdentifierKind>) -> (NormalizedText, Tokenized, [IdentifierMatch]) {
        let norm = NormalizedText(text)
        let tk = tokenize(norm.scalars, breaks: norm.caseBreaks)
        var sc = IdentifierScanner(s: norm.scalars, tokens: tk.tokens, allow: policies.allowlist)
        sc.capitalized = capitalizedFunction(norm, tk.tokens)
        return (norm, tk, sc.scanAll(wanted: kinds))
    }
}

/// Counts of upper- and lower-case letters in (the start of) the original text.
func caseProfile(_ norm: NormalizedText) -> (upper: Int, lower: Int) {
    var up = 0, low = 0
    for s in norm.original.prefix(4096) {
        let v = s.value
        if v < 0x80 {
            if v >= 0x41 && v <= 0x5A { up += 1 } else if v >= 0x61 && v <= 0x7A { low += 1 }
        } else if s.properties.isUppercase { up += 1 } else if s.properties.isLowercase { low += 1 }
    }
    return (up, low)
}

func capitalizedFunction(_ norm: NormalizedText, _ tokens: [Token], profile: (upper: Int, lower: Int)? = nil) -> (Int) -> Bool {
    let p = profile ?? caseProfile(norm)
    if !(p.upper > 0 && p.lower > 0) { return { _ in true } }
    return { j in
        // only the start: a copy of the whole token retained and released its text
        let o = Int(norm.map[Int(tokens[j].start)])
        let sc = norm.original[o]
        return sc.value < 0x80 ? (sc.value >= 0x41 && sc.value <= 0x5A) : sc.properties.isUppercase
    }
}

struct Analysis {
    let box: PolicyBox
    let text: String
    let norm: NormalizedText
    let tk: Tokenized
    var language = "en"
    var trieKey = "all"
    var flagHits: [[Hit]] = Array(repeating: [], count: FlagName.allCases.count)  // by FlagName.rank
    var cues: [[CueSpan]] = Array(repeating: [], count: TermRole.count)
    var sentHits: [Hit] = []
    /// The lexicon's total before squashing into the compound score (each hit's share of the
    /// compound is its `eff` over the squashing denominator).
    var sentimentDenominator = 1.0
    lazy var profile: (upper: Int, lower: Int) = caseProfile(norm)

    init(box: PolicyBox, text: String) {
        self.box = box
        self.text = text
        self.norm = NormalizedText(text)
        self.tk = tokenize(norm.scalars, breaks: norm.caseBreaks)
    }

    mutating func detectLanguage() {
        var en = 0, es = 0
        let mask = box.p.stopwordMask
        let table = box.stopwords
        tk.bytes.withUnsafeBufferPointer { bytes in
            // fields read in place: a copy of each token retained and released its text
            tk.tokens.withUnsafeBufferPointer { ts in
                for i in ts.indices.prefix(400) {
                    let key = ts[i].key
                    if let m = key.isNone ? mask[ts[i].text].map(Int32.init) : table.find(key) {
                        if m & 1 != 0 { en += 1 }
                        if m & 2 != 0 { es += 1 }
                    }
                    let from = Int(ts[i].byteStart)
                    for q in from..<from + Int(ts[i].byteCount) where bytes[q] == 0xB1 { es += 1; break }  // ñ is C3 B1 in UTF-8
                }
            }
        }
        for v in norm.scalars.prefix(4000) where v == 0xBF || v == 0xA1 { es += 2 }
        if es > en { language = "es" } else { language = "en" }
        trieKey = abs(en - es) >= 2 ? language : "all"
        if en == 0 && es == 0 { language = "en"; trieKey = "all" }
    }

    mutating func scan() {
        guard let trie = box.trie(trieKey) else { return }
        let tokens = tk.tokens
        var raw: [Hit] = []
        raw.reserveCapacity(min(tokens.count / 4 + 4, 1 << 16))
        let roles = box.p.ruleRoles
        var sentLocal: [Hit] = []
        var cueLocal: [[CueSpan]] = []
        swap(&cueLocal, &cues)  // no copy of the array the closure appends to
        trie.scan(tk) { i, j, pid in
            let ri = Int(trie.payloads[Int(pid)].rule)
            let role = roles[ri]
            switch role {
            case .evidence, .cue, .allow, .sentiment:
                let pl = trie.payloads[Int(pid)]
                let h = Hit(rule: ri, tokStart: i, tokEnd: j, nStart: Int(tokens[i].start), nEnd: Int(tokens[j - 1].end),
                            weight: pl.weight, category: pl.category, severity: pl.severity, term: Hit.term(rule: ri, line: pl.line))
                if role == .sentiment { sentLocal.append(h) } else { raw.append(h) }
            default:
                cueLocal[role.index].append(CueSpan(a: i, b: j))
            }
        }
        sentHits = sentLocal
        cues = cueLocal
        // obfuscation channel for flags that ask for it
        obfuscationChannel(&raw)
        // allow-lists and false positives for offensive
        var allowSpans: [(Int, Int, FlagName?)] = []
        for k in raw.indices where box.p.ruleRoles[raw[k].rule] == .allow { allowSpans.append((raw[k].nStart, raw[k].nEnd, box.ruleFlags[raw[k].rule])) }
        // room for every hit of each flag at once (growing copied the hits again and again)
        var perFlag = [Int](repeating: 0, count: flagHits.count)
        for k in raw.indices { if let flag = box.ruleFlags[raw[k].rule] { perFlag[flag.rank] += 1 } }
        for f in flagHits.indices where perFlag[f] > 0 { flagHits[f].reserveCapacity(flagHits[f].count + max(perFlag[f], 8)) }
        // by index: a copy of each hit retained and released its strings
        for k in raw.indices where box.p.ruleRoles[raw[k].rule] != .allow {
            guard let flag = box.ruleFlags[raw[k].rule] else { continue }
            if flag == .offensive {
                let (tokStart, tokEnd, nStart, nEnd) = (raw[k].tokStart, raw[k].tokEnd, raw[k].nStart, raw[k].nEnd)
                if tokEnd - tokStart == 1 && box.p.falsePositives.contains(tk.tokens[tokStart].text) && !raw[k].mods.contains(.obfuscated) { continue }
                // a word cut off by truncation ("nig…" for "night") is not the word
                if nEnd < norm.scalars.count && (norm.scalars[nEnd] == 0x2026 || (nEnd + 2 < norm.scalars.count && norm.scalars[nEnd] == 0x2E && norm.scalars[nEnd + 1] == 0x2E && norm.scalars[nEnd + 2] == 0x2E)) { continue }
                if allowSpans.contains(where: { $0.2 == flag && $0.0 <= nStart && nEnd <= $0.1 }) { continue }
            }
            flagHits[flag.rank].append(raw[k])
        }
        // keep the longest match where matches of one flag nest (sorting indices: the same stable
        // sort by the same comparisons orders them as it ordered the hits, without copying hits)
        for f in flagHits.indices where flagHits[f].count > 1 {
            let hs = flagHits[f]
            let sorted = hs.indices.sorted { hs[$0].nStart != hs[$1].nStart ? hs[$0].nStart < hs[$1].nStart : hs[$0].nEnd > hs[$1].nEnd }
            var kept: [Hit] = []
            kept.reserveCapacity(hs.count)
            var maxEnd = -1
            var lastRoleCue = false
            for k in sorted {
                let isCue = box.p.ruleRoles[hs[k].rule] == .cue
                if hs[k].nEnd <= maxEnd && isCue == lastRoleCue { continue }
                if hs[k].nEnd > maxEnd { maxEnd = hs[k].nEnd }
                lastRoleCue = isCue
                kept.append(hs[k])
            }
            flagHits[f] = kept
        }
        for k in cues.indices where cues[k].count > 1 { cues[k].sort { $0.a < $1.a } }
        // sentiment phrases: the longest match wins ("only complaint" over "complaint")
        if sentHits.count > 1 {
            let hs = sentHits
            let sorted = hs.indices.sorted { hs[$0].tokStart != hs[$1].tokStart ? hs[$0].tokStart < hs[$1].tokStart : hs[$0].tokEnd > hs[$1].tokEnd }
            var kept: [Hit] = []
            var maxEnd = -1
            for k in sorted where hs[k].tokEnd > maxEnd {
                kept.append(hs[k])
                maxEnd = hs[k].tokEnd
            }
            sentHits = kept
        }
    }

    mutating func obfuscationChannel(_ raw: inout [Hit]) {
        guard !box.p.obfuscationIndex.isEmpty, let trie = box.trieAll else { return }
        let s = norm.scalars
        let n = s.count
        var i = 0
        func leet(_ v: UInt32) -> UInt32? {
            switch v {
            case 0x30: return 0x6F  // 0 o
            case 0x31: return 0x69  // 1 i
            case 0x33: return 0x65  // 3 e
            case 0x34: return 0x61  // 4 a
            case 0x35: return 0x73  // 5 s
            case 0x37: return 0x74  // 7 t
            case 0x40: return 0x61  // @ a
            case 0x24: return 0x73  // $ s
            case 0x21: return 0x69  // ! i
            case 0x7C: return 0x6C  // | l
            default: return nil
            }
        }
        func emit(_ word: String, _ a: Int, _ b: Int, wildcard: Bool) {
            if box.p.falsePositives.contains(word) { return }
            var pids: [Int32] = []
            if wildcard {
                let w = Array(word.unicodeScalars)
                let len = w.count
                for (t, ps) in box.wildcardTerms[len] ?? [] {
                    var ok = true
                    var stars = 0
                    for k in 0..<len where w[k] != t[k] { if w[k] == "*" { stars += 1 } else { ok = false; break } }
                    if ok && stars < len - 1 { pids.append(contentsOf: ps) }
                }
            } else {
                pids = trie.singleToken(word).filter { box.ruleObfuscation[Int(trie.payloads[Int($0)].rule)] }
                if pids.isEmpty { pids = box.p.obfuscationIndex[squeeze(word)] ?? [] }
            }
            guard !pids.isEmpty else { return }
            let ti = tokenIndexAtOrAfter(a)
            for pid in pids {
                let pl = trie.payloads[Int(pid)]
                var h = Hit(rule: Int(pl.rule), tokStart: min(ti, max(0, tk.tokens.count - 1)), tokEnd: min(ti + 1, tk.tokens.count), nStart: a, nEnd: b,
                            weight: pl.weight, category: pl.category, severity: pl.severity, term: Hit.term(rule: Int(pl.rule), line: pl.line))
                h.mods = .obfuscated
                raw.append(h)
            }
        }
        while i < n {
            let v = s[i]
            let isLetter = (v >= 0x61 && v <= 0x7A) || v == 0xF1
            let isSym = leet(v) != nil || v == 0x2A || (v >= 0x30 && v <= 0x39)
            guard isLetter || isSym else { i += 1; continue }
            let start = i
            var letters = 0, syms = 0, stars = 0
            var maxRun = 1, run = 1
            var prev: UInt32 = 0
            while i < n {
                let c = s[i]
                if (c >= 0x61 && c <= 0x7A) || c == 0xF1 {
                    letters += 1
                } else if c == 0x2A {
                    stars += 1
                } else if leet(c) != nil {
                    // "!" or "$" or "@" at the very end are punctuation, not letters
                    if (c == 0x21 || c == 0x24 || c == 0x40) && (i + 1 >= n || !((s[i + 1] >= 0x61 && s[i + 1] <= 0x7A) || leet(s[i + 1]) != nil)) && letters > 0 { break }
                    syms += 1
                } else if c >= 0x30 && c <= 0x39 {
                    syms += 1
                } else {
                    break
                }
                if c == prev { run += 1; if run > maxRun { maxRun = run } } else { run = 1 }
                prev = c
                i += 1
            }
            if i == start { i += 1; continue }
            if letters >= 1 && (syms > 0 || stars > 0 || maxRun >= 3) && letters + syms + stars >= 3 && i - start <= 30 {
                var word = String()
                for q in start..<i {
                    let c = s[q]
                    let m: UInt32 = c == 0x2A ? c : (leet(c) ?? c)
                    word.unicodeScalars.append(Unicode.Scalar(m)!)
                }
                emit(word, start, i, wildcard: stars > 0)
            }
        }
        // spaced letters: "f u c k", "f.u.c.k"
        let toks = tk.tokens
        var k = 0
        while k < toks.count {
            guard toks[k].end - toks[k].start == 1, !toks[k].isEmoji else { k += 1; continue }
            var j = k + 1
            while j < toks.count && toks[j].end - toks[j].start == 1 && !toks[j].isEmoji && toks[j].start - toks[j - 1].end <= 3 {
                var onlySep = true
                for q in Int(toks[j - 1].end)..<Int(toks[j].start) where ![0x20, 0x2E, 0x2D, 0x5F, 0x2A, 0x2C].contains(s[q]) { onlySep = false }
                if !onlySep { break }
                j += 1
            }
            if j - k >= 3 {
                let word = toks[k..<j].map(\.text).joined()
                let before = raw.count
                emit(word, Int(toks[k].start), Int(toks[j - 1].end), wildcard: false)
                for q in before..<raw.count { raw[q].tokStart = k; raw[q].tokEnd = j }
                k = j
            } else {
                k += 1
            }
        }
    }

    func tokenIndexAtOrAfter(_ pos: Int) -> Int {
        var lo = 0, hi = tk.tokens.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if Int(tk.tokens[mid].start) < pos { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// Cue spans of a role that start in `[from, to)`.
    func cuesStarting(_ role: TermRole, _ from: Int, _ to: Int) -> ArraySlice<CueSpan> {
        cues[role.index][cueRange(role, from, to)]
    }

    /// Indices in `cues[role.index]` of the spans that start in `[from, to)`. The questions
    /// below answer from it without making a slice (a retain and release per question).
    @inline(__always) func cueRange(_ role: TermRole, _ from: Int, _ to: Int) -> Range<Int> {
        cues[role.index].withUnsafeBufferPointer { arr in
            var lo = 0, hi = arr.count
            while lo < hi { let m = (lo + hi) / 2; if arr[m].a < from { lo = m + 1 } else { hi = m } }
            var e = lo
            while e < arr.count && arr[e].a < to { e += 1 }
            return lo..<e
        }
    }

    /// Whether a cue span of `role` starts in `[from, to)`.
    func hasCue(_ role: TermRole, _ from: Int, _ to: Int) -> Bool {
        !cueRange(role, from, to).isEmpty
    }

    /// The last cue span of `role` that starts in `[from, to)`.
    func lastCue(_ role: TermRole, _ from: Int, _ to: Int) -> CueSpan? {
        let r = cueRange(role, from, to)
        return r.isEmpty ? nil : cues[role.index][r.upperBound - 1]
    }

    func sentenceStartToken(_ i: Int) -> Int {
        var k = i
        let s = tk.tokens[i].sentence
        var steps = 0
        while k > 0 && tk.tokens[k - 1].sentence == s && steps < 60 { k -= 1; steps += 1 }
        return k
    }

    func sentenceEndToken(_ i: Int) -> Int {
        var k = i
        let s = tk.tokens[i].sentence
        var steps = 0
        while k + 1 < tk.tokens.count && tk.tokens[k + 1].sentence == s && steps < 60 { k += 1; steps += 1 }
        return k + 1
    }

    /// NegEx/ConText-style modifiers for a hit inside its sentence.
    /// Takes the hit's token range (a `Hit` argument was copied out of its array for every call).
    func contextModifiers(tokStart a: Int, tokEnd b: Int) -> Modifiers {
        guard a < tk.tokens.count else { return [] }
        var mods: Modifiers = []
        let sStart = sentenceStartToken(a)
        let sEnd = sentenceEndToken(max(a, b - 1))
        let w = box.p.contextWindow
        let from = max(sStart, a - w)
        // terminators between a cue and the hit stop the cue's scope
        let lastTerm = lastCue(.terminator, from, a).map { $0.b } ?? from
        let pseudo = cuesStarting(.pseudoNeg, max(sStart, a - w - 2), a)
        func inPseudo(_ c: CueSpan) -> Bool { pseudo.contains { $0.a <= c.a && c.b <= $0.b } }
        let hitStart = Int(tk.tokens[a].start)
        func sameClause(_ c: CueSpan) -> Bool {
            let from = Int(tk.tokens[c.b - 1].end)
            if from >= hitStart { return true }
            for q in from..<hitStart {
                let v = norm.scalars[q]
                if v == 0x2C || v == 0x3B || v == 0x3A || v == 0x28 || v == 0x29 { return false }
            }
            return true
        }
        if cuesStarting(.negPre, max(lastTerm, a - 5), a).contains(where: { $0.b <= a && !inPseudo($0) && sameClause($0) }) {
            mods.insert(.negated)
        } else if hasCue(.negPost, b, min(sEnd, b + 3)) {
            mods.insert(.negated)
        }
        let expFrom = max(sStart, a - w - 2)
        let rel = lastCue(.relative, expFrom, a)
        let oth = lastCue(.other, expFrom, a)
        let slf = lastCue(.selfRef, expFrom, a)
        // the nearest cue before the hit; on a tie the first of relative, other, self (as max(by:) did)
        var bestA = rel?.a ?? -1
        var best = Modifiers.relative
        if let o = oth?.a, o > bestA { bestA = o; best = .other }
        if let sl = slf?.a, sl > bestA { bestA = sl; best = .selfRef }
        if bestA >= 0 { mods.insert(best) }
        if hasCue(.history, sStart, sEnd) { mods.insert(.history) }
        if hasCue(.hypothetical, sStart, a) { mods.insert(.hypothetical) }
        let fig = cuesStarting(.figurative, max(sStart, a - 3), min(sEnd, b + 3))
        if fig.contains(where: { $0.a < b + 3 && $0.b > a - 3 }) { mods.insert(.figurative) }
        if hasCue(.present, sStart, sEnd) { mods.insert(.now) }
        return mods
    }

    mutating func identifiersAndPatterns() {
        if !box.p.identifierRules.isEmpty {
            var sc = IdentifierScanner(s: norm.scalars, tokens: tk.tokens, allow: box.p.allowlist)
            sc.capitalized = capitalizedFunction(norm, tk.tokens, profile: profile)
            let found = sc.scanAll(wanted: box.identifierKinds)
            let byKind = box.identifierRulesByKind
            // matches of one kind come one after another: their rules are looked up once
            var lastKind: IdentifierKind? = nil
            var lastRules: [Int]? = nil
            for m in found {
                if m.kind != lastKind { (lastKind, lastRules) = (m.kind, byKind[m.kind]) }
                guard let kindRules = lastRules else { continue }
                for ri in kindRules {
                    // the rule's fields read in place (a copy of the rule retained all of them)
                    guard case .identifier(let k) = box.p.rules[ri].source, k == m.kind, let flag = box.p.rules[ri].flag else { continue }
                    let ti = min(tokenIndexAtOrAfter(m.start), max(0, tk.tokens.count - 1))
                    var h = Hit(rule: ri, tokStart: ti, tokEnd: ti + 1, nStart: m.start, nEnd: m.end, weight: box.p.rules[ri].weight * (m.validated ? 1 : 0.85),
                                category: box.p.rules[ri].category ?? m.kind.rawValue, severity: box.p.rules[ri].severity, term: Hit.term(rule: ri))
                    h.mods = m.validated ? .validated : .keyword
                    flagHits[flag.rank].append(h)
                }
            }
        }
        let pr = box.p.patternRules
        guard !pr.isEmpty else { return }
        let lits = box.patternLiterals
        let skips = box.patternLiteralSkips
        var passing: [Bool] = Array(repeating: false, count: pr.count)
        var anyPass = false
        norm.scalars.withUnsafeBufferPointer { sp in
            // which ASCII scalars occur: an alternative needing an absent one cannot match
            var lo: UInt64 = 0, hi: UInt64 = 0
            for v in sp where v < 0x80 { if v < 64 { lo |= 1 << UInt64(v) } else { hi |= 1 << UInt64(v - 64) } }
            let masks = box.patternLiteralMasks
            for k in pr.indices {
                let alts = lits[k]
                for q in alts.indices {
                    let m = masks[k][q]
                    if lo & m.lo != m.lo || hi & m.hi != m.hi { continue }
                    if containsLiteral(sp, alts[q], skip: skips[k][q]) { passing[k] = true; anyPass = true; break }
                }
            }
        }
        if anyPass {
            let ns = norm.normalizedString
            var utf16ToScalar: [Int]? = nil
            for (k, ri) in box.p.patternRules.enumerated() where passing[k] {
                let r = box.p.rules[ri]
                guard case .pattern(let box, _) = r.source, let flag = r.flag else { continue }
                if utf16ToScalar == nil {
                    var m: [Int] = []
                    m.reserveCapacity(ns.utf16.count + 1)
                    for (si, sc) in ns.unicodeScalars.enumerated() { for _ in 0..<sc.utf16.count { m.append(si) } }
                    m.append(ns.unicodeScalars.count)
                    utf16ToScalar = m
                }
                let map = utf16ToScalar!
                // The first 20 matches are evidence enough; finding every one in a long text is not.
                var ranges: [NSRange] = []
                box.regex.enumerateMatches(in: ns, range: NSRange(location: 0, length: ns.utf16.count)) { match, _, stop in
                    if let match { ranges.append(match.range) }
                    if ranges.count >= 20 { stop.pointee = true }
                }
                for range in ranges {
                    let a = map[min(range.location, map.count - 1)]
                    let b = map[min(range.location + range.length, map.count - 1)]
                    guard b > a else { continue }
                    let ti = min(tokenIndexAtOrAfter(a), max(0, tk.tokens.count - 1))
                    flagHits[flag.rank].append(Hit(rule: ri, tokStart: ti, tokEnd: ti + 1, nStart: a, nEnd: b, weight: r.weight, category: r.category, severity: r.severity, term: Hit.term(rule: ri)))
                }
            }
        }
    }

    // MARK: sentiment

    mutating func sentimentScores() -> (compound: Double, pos: Double, neg: Double) {
        let shoutingAllowed = profile.lower > profile.upper
        let s = box.p.sentiment
        var pos = 0.0, neg = 0.0
        let contrast = cues[TermRole.sContrast.index].first
        for k in sentHits.indices {
            let h = sentHits[k]
            var v = h.weight
            let a = h.tokStart
            let sent = tk.tokens[a].sentence
            // negation within 3 tokens before, same sentence
            if cuesStarting(.sNegator, max(0, a - 3), a).contains(where: { $0.b <= a && tk.tokens[$0.a].sentence == sent && sameClause($0.b, a) }) {
                v *= s.negationFactor
            }
            if cuesStarting(.sIntensifier, max(0, a - 2), a).contains(where: { $0.b <= a && tk.tokens[$0.a].sentence == sent }) {
                v *= s.intensifierFactor
            }
            if cuesStarting(.sDiminisher, max(0, a - 2), a).contains(where: { $0.b <= a && tk.tokens[$0.a].sentence == sent }) {
                v *= s.diminisherFactor
            }
            if shoutingAllowed && isShouted(h) { v *= s.capsFactor }
            if let c = contrast {
                if a < c.a { v *= s.beforeContrast } else if a >= c.b { v *= s.afterContrast }
            }
            sentHits[k].eff = v
            if v > 0 { pos += v } else { neg += v }
        }
        var total = pos + neg
        if total != 0 {
            let ex = Double(min(tk.exclamations, 4)) * s.exclamationBoost
            total += total > 0 ? ex : -ex
        }
        sentimentDenominator = (total * total + 15).squareRoot()
        let compound = total / sentimentDenominator
        return (compound, pos, -neg)
    }

    /// No clause punctuation (, ; : parentheses) between the end of token `b - 1` and token `a`.
    func sameClause(_ b: Int, _ a: Int) -> Bool {
        guard b >= 1, a < tk.tokens.count else { return true }
        let from = Int(tk.tokens[b - 1].end), to = Int(tk.tokens[a].start)
        if from >= to { return true }
        for q in from..<to {
            let v = norm.scalars[q]
            if v == 0x2C || v == 0x3B || v == 0x3A || v == 0x28 || v == 0x29 { return false }
        }
        return true
    }

    func isShouted(_ h: Hit) -> Bool {
        let (o1, o2) = norm.originalSpan(h.nStart, h.nEnd)
        guard o2 - o1 >= 3 else { return false }
        var upper = 0, lower = 0
        for sc in norm.original[o1..<o2] {
            let v = sc.value
            if v < 0x80 {
                if v >= 0x41 && v <= 0x5A { upper += 1 } else if v >= 0x61 && v <= 0x7A { lower += 1 }
            } else if sc.properties.isUppercase { upper += 1 } else if sc.properties.isLowercase { lower += 1 }
        }
        return upper > 0 && lower == 0
    }

    /// The learned model's log-odds that the text is positive (nil without a model).
    func modelLogOdds(lexicon compound: Double) -> Double? {
        box.sentimentModel(language).map { SentimentModel.logOdds($0.weights, tk.tokens, lexicon: compound) }
    }

    func sentimentLabel(_ sc: (compound: Double, pos: Double, neg: Double), logOdds z: Double?, rating: Int?) -> Sentiment {
        let s = box.p.sentiment
        let lexiconMixed = sc.pos >= s.mixedMin && sc.neg >= s.mixedMin && min(sc.pos, sc.neg) / max(sc.pos, sc.neg) >= s.mixedRatio
        let text: Sentiment
        if let z {
            // the model decides; the lexicon says when there is nothing to decide on, or praise
            // and complaint in equal measure
            if lexiconMixed && abs(z) < s.mixedMargin { text = .mixed }
            else if abs(z) < s.neutralMargin && sc.pos == 0 && sc.neg == 0 { text = .neutral }
            else { text = z > 0 ? .positive : .negative }
        } else {
            if lexiconMixed { return .mixed }
            text = sc.compound >= s.neutralBand ? .positive : (sc.compound <= -s.neutralBand ? .negative : .neutral)
        }
        // A star rating is the reviewer's own verdict: it decides, unless the text clearly says the opposite.
        if let r = rating {
            let clearlyNegative = z.map { $0 <= -s.oppositeMargin } ?? (sc.compound <= -0.5)
            let clearlyPositive = z.map { $0 >= s.oppositeMargin } ?? (sc.compound >= 0.5)
            if r >= 4 { return clearlyNegative ? .mixed : .positive }
            if r <= 2 { return clearlyPositive ? .mixed : .negative }
            return text == .neutral ? .mixed : text
        }
        return text
    }

    // MARK: scoring

    mutating func run(kind: MessageKind?, rating: Int?) -> Classification {
        detectLanguage()
        scan()
        identifiersAndPatterns()
        namedConditions()
        namedPersons()
        let sc = sentimentScores()
        let z = modelLogOdds(lexicon: sc.compound)
        var sentiment = sentimentLabel(sc, logOdds: z, rating: rating)
        var results = FlagResults()
        for flag in FlagName.allCases {
            if let hit = scoreFlag(flag, kind: kind, rating: rating, sentimentScores: sc, logOdds: z, sentiment: sentiment) { results[flag] = hit }
        }
        applyCrossFlagRules(&results, kind: kind, rating: rating)
        if kind == .review || results[.reviewFeedback].map({ $0.decision >= .flag }) == true {
            if sentiment == .neutral, let r = rating { sentiment = r >= 4 ? .positive : (r <= 2 ? .negative : .neutral) }
        }

        let flags = results.inOrder
        var c = Classification(language: language, sentiment: sentiment, flags: flags, template: nil)
        c.template = PolicySet.recommendedTemplateID(in: box.p.replyTemplates, for: c, kind: kind ?? .comment)
        return c
    }

    /// One flag's decision, score, category and evidence from its hits, or nil when it is not raised.
    mutating func scoreFlag(_ flag: FlagName, kind: MessageKind?, rating: Int?,
                            sentimentScores sc: (compound: Double, pos: Double, neg: Double), logOdds z: Double?, sentiment: Sentiment) -> FlagHit? {
        let forced = flag == .reviewFeedback && (kind == .review || rating != nil)
        // most flags find nothing in most messages: leave before taking any reference
        guard !flagHits[flag.rank].isEmpty || forced, let fs = box.flagSettings[flag.rank] else { return nil }
        var hits = flagHits[flag.rank]
        // hold the only reference while updating modifiers (no copy of the whole array);
        // the cross-flag rules read rule, weight and category, which stay as they are
        flagHits[flag.rank] = []
        defer { flagHits[flag.rank] = hits }
        let weighed = weigh(&hits, fs)
        let allDowngraded = weighed.allDowngraded
        var hasCue = weighed.hasCue
        if flag == .symptomQuestion && !tk.questionSentences.isEmpty { hasCue = true }
        var hasEvidence = weighed.hasEvidence
        if flag == .reviewFeedback {
            hasCue = reviewHasCue(hits, compound: sc.compound)
            // words that only ever judge care ("unprofessional", "would not recommend") need no
            // service word beside them
            if selfEvidentReview(hits) { (hasCue, hasEvidence) = (true, true) }
        }
        var score = 1.0
        for k in hits.indices { score *= (1 - hits[k].eff) }
        // a clear opinion about the service counts too, not only the listed words
        if hasCue && fs.sentimentWeight > 0 { score *= 1 - fs.sentimentWeight * min(1, abs(sc.compound)) }
        score = 1 - score
        if fs.requireCue && !(hasCue && hasEvidence) { score *= fs.missingCueFactor }
        // cues support a flag but never raise it on their own
        if !hasEvidence { score = min(score, fs.flagAt - 0.001) }
        if forced { score = max(score, fs.flagAt) }
        var decision = fs.decision(for: score)
        if flag == .emergency {
            if decision == nil && hits.indices.contains(where: { box.p.ruleRoles[hits[$0].rule] == .evidence && hits[$0].weight >= fs.reviewAt }) { decision = .review }
            if allDowngraded, let d = decision, d > .review { decision = .review }
        }
        guard let dec = decision else { return nil }
        let (category, severity) = categoryAndSeverity(flag, hits, sentiment: sentiment)
        var ev = evidence(hits)
        if forced {
            // reviews and rated posts carry review_feedback by their kind: say so in the evidence
            let why = kind == .review ? "kind:review" : "rating:\(rating ?? 0)"
            ev.insert(Evidence(rule: "review_feedback.kind", file: fs.fp.file, span: [0, 0], text: "", modifiers: [why], contribution: fs.flagAt), at: 0)
        }
        if flag == .reviewFeedback, let z { ev += sentimentEvidence(logOdds: z, sentiment: sentiment) }
        return FlagHit(flag: flag, decision: dec, score: (score * 1000).rounded() / 1000, severity: severity, category: category, evidence: ev)
    }

    /// Each hit's effective weight after its context modifiers, in place (a copy of each hit and
    /// back retained and released its strings); whether a cue and evidence were found, and
    /// whether every hit was downgraded (negated or figurative).
    mutating func weigh(_ hits: inout [Hit], _ fs: FlagSettings) -> (hasCue: Bool, hasEvidence: Bool, allDowngraded: Bool) {
        var hasCue = false, hasEvidence = false
        var allDowngraded = true
        for k in hits.indices {
            let role = box.p.ruleRoles[hits[k].rule]
            if fs.context && hits[k].mods.subtracting(.obfuscated).isEmpty {
                hits[k].mods.formUnion(contextModifiers(tokStart: hits[k].tokStart, tokEnd: hits[k].tokEnd))
            }
            var eff = hits[k].weight
            var downgraded = false
            // factors in the order the modifiers are listed
            let m = hits[k].mods
            if m.contains(.obfuscated) { eff *= fs.obfuscated }
            if m.contains(.negated) { eff *= fs.negated; downgraded = true }
            if m.contains(.relative) { eff *= fs.relative }
            if m.contains(.other) { eff *= fs.other }
            if m.contains(.history) { eff *= fs.history }
            if m.contains(.hypothetical) { eff *= fs.hypothetical }
            if m.contains(.figurative) { eff *= fs.figurative; downgraded = true }
            if m.contains(.now) { eff *= fs.present }
            eff = min(eff, 0.99)
            hits[k].eff = eff
            if !downgraded { allDowngraded = false }
            if role == .cue { if !downgraded { hasCue = true } } else if eff > 0 && !m.contains(.negated) { hasEvidence = true }
        }
        return (hasCue, hasEvidence, allDowngraded)
    }

    /// An evaluation counts for review feedback when it is said about the service: an evaluative
    /// phrase in or next to a sentence with a service word or a person, or a clear opinion in the
    /// lexicon's words about a service word, unless the message asks about a health matter (a
    /// health question with an opinion is a question). By index: `filter` and `contains` copied every hit.
    func reviewHasCue(_ hits: [Hit], compound: Double) -> Bool {
        var targets = Set<Int32>(), services = Set<Int32>()
        for k in hits.indices where box.p.ruleRoles[hits[k].rule] == .evidence {
            let s = tk.tokens[min(hits[k].tokStart, tk.tokens.count - 1)].sentence
            targets.insert(s)
            if !box.ruleReviewsPerson[hits[k].rule] { services.insert(s) }
        }
        func near(_ tokStart: Int, _ set: Set<Int32>) -> Bool {
            let s = tk.tokens[min(tokStart, tk.tokens.count - 1)].sentence
            return set.contains(s) || set.contains(s + 1) || set.contains(s - 1)
        }
        if hits.indices.contains(where: { box.p.ruleRoles[hits[$0].rule] == .cue && near(hits[$0].tokStart, targets) }) { return true }
        let sq = flagHits[FlagName.symptomQuestion.rank]
        let asksAboutHealth = (!tk.questionSentences.isEmpty || sq.contains { box.p.ruleRoles[$0.rule] == .cue && $0.weight >= 0.2 })
            && sq.contains { box.p.ruleRoles[$0.rule] == .evidence }
        if asksAboutHealth { return false }
        // about a service, a clear opinion; about a person only, a strong one
        return (abs(compound) >= 0.3 && sentHits.contains { near($0.tokStart, services) })
            || (abs(compound) >= 0.6 && sentHits.contains { near($0.tokStart, targets) })
    }

    /// Two strong evaluations, or one of the strongest: a verdict on care by itself.
    func selfEvidentReview(_ hits: [Hit]) -> Bool {
        var strong = Set<Int>()
        for k in hits.indices where box.p.ruleRoles[hits[k].rule] == .cue && !hits[k].mods.contains(.negated) {
            if hits[k].weight >= 0.45 { return true }
            if hits[k].weight >= 0.35 { strong.insert(hits[k].term) }
        }
        return strong.count >= 2
    }

    /// The sentiment evidence: the words that moved the model's decision most in the direction it
    /// decided (both ways for mixed), each with its share of the log-odds. A lexicon word counts
    /// through the model's weight for the lexicon's score.
    func sentimentEvidence(logOdds z: Double, sentiment: Sentiment) -> [Evidence] {
        guard let m = box.sentimentModel(language) else { return [] }
        let mixed = sentiment == .mixed
        let count = mixed ? 2 : 3
        let best = SentimentModel.strongest(m.weights, tk.tokens, positive: mixed || z >= 0 ? count : 0, negative: mixed || z < 0 ? count : 0)
        /// A word or pair with its share, and the rule of its larger contributor (nil: the model).
        struct Piece { var from: Int; var to: Int; var weight: Double; var lexiconRule: Int? }
        var out: [Evidence] = []
        for (direction, model) in [(1.0, best.positive), (-1.0, best.negative)] where mixed || (direction > 0) == (z >= 0) {
            var pieces = model.map { Piece(from: $0.from, to: $0.to, weight: $0.weight, lexiconRule: nil) }
            for h in sentHits {
                let w = m.weights.lexicon * h.eff / sentimentDenominator
                guard w * direction > 0 else { continue }
                // a word both in the lexicon and among the model's words is one piece of evidence
                if let i = pieces.firstIndex(where: { $0.from == h.tokStart && $0.to == h.tokEnd }) {
                    if abs(w) > abs(pieces[i].weight) { pieces[i].lexiconRule = h.rule }
                    pieces[i].weight += w
                } else {
                    pieces.append(Piece(from: h.tokStart, to: h.tokEnd, weight: w, lexiconRule: h.rule))
                }
            }
            pieces.sort { abs($0.weight) > abs($1.weight) }
            for f in pieces.prefix(count) where f.weight * direction > 0 {
                let (s, e) = norm.originalSpan(Int(tk.tokens[f.from].start), Int(tk.tokens[f.to - 1].end))
                let w = (f.weight * 100).rounded() / 100
                out.append(Evidence(rule: f.lexiconRule == nil ? m.modelRule : m.lexiconRule, file: f.lexiconRule.map { box.p.rules[$0].file } ?? m.file,
                                    span: [s, e], text: norm.originalText(s, e), modifiers: ["weight " + signedHundredths(w)], contribution: w))
            }
        }
        return out
    }

    /// The flag's category and severity, from its strongest evidence.
    func categoryAndSeverity(_ flag: FlagName, _ hits: [Hit], sentiment: Sentiment) -> (category: String?, severity: String?) {
        var category: String? = nil
        var severity: String? = nil
        // Indices of the evidence hits, strongest first, and of the hits in text order: the
        // indices are sorted by the same comparisons (and the same stable sort) as the hits
        // were, so the order is the same, without copying hits.
        let ranked = hits.indices.filter { box.p.ruleRoles[hits[$0].rule] == .evidence }.sorted { hits[$0].eff > hits[$1].eff }
        if flag == .emergency {
            // distress language supports a crisis reading; the category names the crisis itself
            category = ranked.first(where: { hits[$0].category != "distress" }).flatMap { hits[$0].category } ?? "suicide"
            let live = ranked.filter { hits[$0].mods.isDisjoint(with: [.negated, .figurative]) }
            severity = live.contains { hits[$0].severity == "imminent" } ? "imminent" : "urgent"
            if live.contains(where: { hits[$0].mods.contains(.now) }) && category == "medical" { severity = "imminent" }
        } else if flag == .offensive {
            category = ranked.first.flatMap { hits[$0].category }
            severity = ranked.compactMap { hits[$0].severity.flatMap(Int.init) }.max().map(String.init) ?? "1"
        } else if flag == .reviewFeedback {
            category = sentiment.rawValue
        } else {
            category = ranked.first.flatMap { hits[$0].category }
        }
        return (category, severity)
    }

    /// The evidence the moderator sees, in text order, at most 50 hits.
    func evidence(_ hits: [Hit]) -> [Evidence] {
        hits.indices.sorted { hits[$0].nStart < hits[$1].nStart }.prefix(50).map { k -> Evidence in
            let h = hits[k]
            let (s, e) = norm.originalSpan(h.nStart, h.nEnd)
            let r = box.p.rules[h.rule]
            return Evidence(rule: r.id, file: r.file, span: [s, e], text: norm.originalText(s, e), modifiers: h.mods.names, contribution: (h.eff * 1000).rounded() / 1000)
        }
    }

    /// Rules between flags: a crisis is not also a symptom question or hidden for swearing; a
    /// story about a visit is a review unless it asks something; a review is not spam.
    func applyCrossFlagRules(_ results: inout FlagResults, kind: MessageKind?, rating: Int?) {
        func cap(_ f: FlagName, _ to: Decision = .review) {
            if var r = results[f], r.decision > to { r.decision = to; results[f] = r }
        }
        if let em = results[.emergency], em.decision >= .flag {
            cap(.symptomQuestion)
            if kind != .review && rating == nil { cap(.reviewFeedback) }
            // never hide a crisis post for swearing; hate speech stays raised
            if !flagHits[FlagName.offensive.rank].contains(where: { $0.category == "hate" }) { cap(.offensive) }
        } else if results[.emergency] != nil,
                  let em = results[.emergency], em.evidence.contains(where: { ev in !ev.modifiers.contains("figurative") && flagHits[FlagName.emergency.rank].contains { $0.category == "suicide" && $0.weight >= 0.5 && box.p.rules[$0.rule].id == ev.rule } }),
                  !flagHits[FlagName.offensive.rank].contains(where: { $0.category == "hate" || $0.category == "threat" }) {
            // a suicidal statement, even negated, is not hidden for its swearing either
            cap(.offensive)
        }
        if let sq = results[.symptomQuestion], let rv = results[.reviewFeedback], sq.decision >= .flag, rv.decision >= .flag {
            // A story about a visit is a review; it is a symptom question only when it asks something.
            let asks = !tk.questionSentences.isEmpty || (flagHits[FlagName.symptomQuestion.rank]).contains { box.p.ruleRoles[$0.rule] == .cue && $0.weight >= 0.2 }
            if kind == .review || rating != nil || (!asks && rv.score > sq.score) { cap(.symptomQuestion) } else { cap(.reviewFeedback) }
        }
        if let of = results[.offensive], of.decision >= .flag, kind != .review, rating == nil,
           let rv = results[.reviewFeedback], rv.decision >= .flag,
           !rv.evidence.contains(where: { $0.rule.hasPrefix("review.service.") }) {
            // abuse aimed at a person is not a review of the care
            cap(.reviewFeedback)
        }
        if let rv = results[.reviewFeedback], rv.decision >= .flag, let sp = results[.spam] { _ = sp; cap(.spam) }
    }
}

/// `w` (already rounded to hundredths) as "+1.59", "-0.9", "+2.0": what `"\(w)"` prints with a
/// sign, without formatting a `Double` for every piece of evidence.
func signedHundredths(_ w: Double) -> String {
    let c = Int((abs(w) * 100).rounded())
    let (whole, frac) = (c / 100, c % 100)
    let digits = frac == 0 ? "0" : frac % 10 == 0 ? String(frac / 10) : frac < 10 ? "0" + String(frac) : String(frac)
    return (w > 0 ? "+" : w.sign == .minus ? "-" : "") + String(whole) + "." + digits
}
