import Foundation
import InboxModel

// Who a message names: a person's name next to a PHI identifier ("call Maria Lopez at (617) ..."),
// or a named person with a condition ("John Peters has cancer").

private let havingVerbs: Set<String> = ["has", "had", "diagnosed", "tiene", "tuvo", "padece", "sufre"]
private let nameStopwords: Set<String> = [
    "i", "he", "she", "they", "we", "you", "it", "my", "your", "his", "her", "our", "their", "this", "that", "the", "a", "an",
    "everyone", "someone", "anyone", "nobody", "somebody", "everybody", "who", "what", "mom", "dad", "mother", "father",
    "son", "daughter", "baby", "husband", "wife", "brother", "sister", "friend", "neighbor", "neighbour", "patient", "patients",
    "yo", "el", "ella", "mi", "su", "tu", "ellos", "nosotros", "usted", "alguien", "nadie", "mama", "papa", "hijo", "hija",
    "if", "and", "but", "so", "also", "still", "now", "today", "hospital", "clinic", "staff", "nurse", "er", "icu", "god",
    "who", "which", "when", "where", "why", "how", "is", "was", "does", "did", "do", "can", "could", "will", "would", "should",
    "some", "many", "all", "most", "doctors", "doctor", "nurses", "people", "family", "done", "just", "please", "hello", "hi", "dear",
    "sir", "madam", "thanks", "one", "no", "not", "never", "nothing", "everything", "here", "there", "then", "because",
]

/// PHI identifiers that a person's name nearby turns into an identified person.
let personIdentifierKinds: Set<IdentifierKind> = [.phone, .email, .address, .age, .statedAge, .room, .dob, .mrn, .ssn, .card]
/// Words before a name that make the next word a name: "patient X", "my name is X", "me llamo X".
private let nameLeadWords: Set<String> = ["patient", "pt", "resident", "paciente", "residente", "llamo", "name", "nombre"]
private let honorifics: Set<String> = ["mr", "mrs", "ms", "miss", "mx", "sr", "sra", "srta", "senor", "senora", "señor", "señora", "don", "dona", "doña"]
/// Words before two capitalised words that make them a place: "from New Jersey", "en Santo Domingo".
private let placePrepositions: Set<String> = ["from", "in", "near", "of", "en", "desde", "cerca"]
/// Credentials after a name: a provider, not a patient.
private let nameCredentials: Set<String> = ["md", "rn", "np", "dds", "dmd", "phd", "lpn", "cna", "pharmd", "dpm"]
/// Capitalised words that are places, organisations, days or months rather than people.
private let nonNameWords: Set<String> = [
    "hotel", "center", "centre", "medical", "health", "university", "universidad", "centro", "clinica", "street", "avenue",
    "calle", "avenida", "road", "county", "city", "ciudad", "plaza", "park", "north", "south", "east", "west", "new", "san", "santa",
    "saint", "st", "mount", "lake", "river", "riverside", "memorial", "general", "regional", "community", "urgent", "care", "emergency",
    "department", "unit", "floor", "room", "suite", "building", "tower", "torre", "piso", "habitacion", "cuarto", "cama", "bed",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "lunes", "martes", "miercoles", "jueves", "viernes",
    "sabado", "domingo", "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december", "enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
    "noviembre", "diciembre", "dob", "phone", "email", "address", "insurance", "medicare", "medicaid", "call", "please", "contact",
    "thanks", "thank", "gracias", "hola", "hello", "dear", "estimado", "estimada", "llamen", "escriban", "escribanle", "contacten",
]


/// What a word says about the capitalised words around it, as bits.
struct NameWordKinds: OptionSet, Sendable {
    let rawValue: Int32
    /// Pronouns, relations, stop words, clinician titles: never part of a name.
    static let notName = NameWordKinds(rawValue: 1 << 0)
    /// The next word is a name: "patient X", "my name is X", "me llamo X".
    static let lead = NameWordKinds(rawValue: 1 << 1)
    /// "Mrs. X", "la Sra. X".
    static let honorific = NameWordKinds(rawValue: 1 << 2)
    /// Two capitalised words after it are a place: "from New Jersey".
    static let place = NameWordKinds(rawValue: 1 << 3)
    /// After a name, a provider: "Ann Lee, MD".
    static let credential = NameWordKinds(rawValue: 1 << 4)
    /// Capitalised, but a place, organisation, day or month.
    static let nonName = NameWordKinds(rawValue: 1 << 5)
    /// Before a name, a provider: "Dr. Patel".
    static let title = NameWordKinds(rawValue: 1 << 6)
    /// "has", "tiene": a named person having a condition.
    static let having = NameWordKinds(rawValue: 1 << 7)
}

/// Every word of the lists above and of the policies' titles and stop words, with its kinds:
/// one table probe per token instead of hashing its text once per list.
struct NameWords: Sendable {
    private var table = WordTable(capacity: 1024)
    /// Words longer than a `WordKey`.
    private var long: [String: Int32] = [:]

    init(clinicianTitles: Set<String>, stopwords: [Set<String>]) {
        add(nameStopwords, .notName)
        add(clinicianTitles, [.notName, .title])
        for s in stopwords { add(s, .notName) }
        add(nameLeadWords, .lead)
        add(honorifics, .honorific)
        add(placePrepositions, .place)
        add(nameCredentials, .credential)
        add(nonNameWords, .nonName)
        add(havingVerbs, .having)
    }

    private mutating func add(_ words: Set<String>, _ kind: NameWordKinds) {
        for w in words {
            if let k = WordKey(w) {
                table.set(k, (table.find(k) ?? 0) | kind.rawValue)
            } else {
                long[w, default: 0] |= kind.rawValue
            }
        }
    }

    @inline(__always) func kinds(_ t: Token) -> NameWordKinds {
        NameWordKinds(rawValue: (t.key.isNone ? long[t.text] : table.find(t.key)) ?? 0)
    }
}

/// Reads names in one message's tokens. Holds only what it reads, so that the analysis is not
/// copied to call it (a non-mutating method called from a mutating one copied all of it).
struct NameFinder {
    let tokens: [Token]
    let norm: NormalizedText
    let words: NameWords
    /// The text has both cases: capitalisation tells names apart.
    let cased: Bool

    /// Whether token `j` can be part of a person's name: capitalised, with a lowercase letter (not
    /// an acronym or a [PLACEHOLDER]), not a pronoun, stop word, relation or clinician title.
    /// The case is looked at first: most words are not capitalised, and it costs no lookup.
    func isNameToken(_ j: Int) -> Bool {
        guard !tokens[j].isEmoji, tokens[j].byteCount >= 2 else { return false }
        let first = norm.original[Int(norm.map[Int(tokens[j].start)])]
        guard first.value < 0x80 ? (first.value >= 0x41 && first.value <= 0x5A) : first.properties.isUppercase,
              words.kinds(tokens[j]).isDisjoint(with: .notName) else { return false }
        let (s0, e0) = norm.originalSpan(Int(tokens[j].start), Int(tokens[j].end))
        return norm.original[s0..<e0].contains { $0.value < 0x80 ? ($0.value >= 0x61 && $0.value <= 0x7A) : $0.properties.isLowercase }
    }

    /// The first name within `window` tokens of one of `spans` (identifiers, by first token and
    /// normalised range), as tokens `[a, b)`. In a text without case, only a name after "my name
    /// is", "patient"...
    func nameNear(_ spans: [(tokStart: Int, nStart: Int, nEnd: Int)], window: Int = 10) -> (Int, Int)? {
        let toks = tokens
        let T = toks.count
        // which tokens start inside an identifier, marked once (asking each span per token was
        // quadratic in a long text full of phone numbers)
        var inside = [Bool](repeating: false, count: T)
        for sp in spans {
            var j = max(0, sp.tokStart)
            while j < T && Int(toks[j].start) < sp.nEnd {
                if Int(toks[j].start) >= sp.nStart { inside[j] = true }
                j += 1
            }
        }
        func inIdentifier(_ j: Int) -> Bool { inside[j] }
        func nameLike(_ j: Int) -> Bool { cased && isNameToken(j) && !words.kinds(toks[j]).contains(.nonName) && !inIdentifier(j) }
        func provider(_ a: Int, _ b: Int) -> Bool {
            (a > 0 && words.kinds(toks[a - 1]).contains(.title)) || (b < T && words.kinds(toks[b]).contains(.credential))
        }
        /// A name span `[a, b)` starting at or after `from`, before `to`.
        func findName(_ from: Int, _ to: Int) -> (Int, Int)? {
            var j = max(0, from)
            while j < min(T, to) {
                let kinds = words.kinds(toks[j])
                // "my name is X", "me llamo X", "name: X" (any case); "patient X", "Mrs. X", "la Sra. X"
                if !kinds.isDisjoint(with: [.lead, .honorific]), j + 1 < T {
                    let w = toks[j].text
                    var n = j + 1
                    if (w == "name" || w == "nombre") && (toks[n].text == "is" || toks[n].text == "es") && n + 1 < T { n += 1 }
                    // after "my name is" any word will do in a text without case, not a [NAME] placeholder
                    let free = !cased && kinds.contains(.lead) && toks[n].byteCount >= 2 && words.kinds(toks[n]).isDisjoint(with: .notName)
                    if !inIdentifier(n) && (free || nameLike(n)) {
                        var b = n + 1
                        while b < T && b < n + 3 && nameLike(b) && toks[b].sentence == toks[n].sentence { b += 1 }
                        if !provider(j, b) { return (j, b) }
                    }
                }
                // two or three capitalised words: "John Smith", "Juan Pérez Gómez"
                if nameLike(j), j + 1 < T, nameLike(j + 1), toks[j + 1].sentence == toks[j].sentence {
                    var b = j + 2
                    while b < T && b < j + 3 && nameLike(b) && toks[b].sentence == toks[j].sentence { b += 1 }
                    // "from Czech Republic", "en Santo Domingo": a place
                    let place = j > 0 && words.kinds(toks[j - 1]).contains(.place)
                    if !place && !provider(j, b) { return (j, b) }
                    j = b
                    continue
                }
                j += 1
            }
            return nil
        }
        // one name supports the identifiers; more names are not more evidence. Windows that
        // overlap are read as one (identifiers close together read the same words again).
        var from = Int.min, to = Int.min
        for t in spans.map(\.tokStart).sorted() {
            if t - window <= to { to = t + window; continue }
            if to > from, let name = findName(from, to) { return name }
            (from, to) = (t - window, t + window)
        }
        return to > from ? findName(from, to) : nil
    }
}

extension Analysis {
    mutating func nameFinder() -> NameFinder {
        NameFinder(tokens: tk.tokens, norm: norm, words: box.nameWords, cased: profile.upper > 0 && profile.lower > 0)
    }

    /// "John Peters has cancer", "Dr. Smith tiene VIH": a capitalised name, a verb of having, then a
    /// symptom/condition word within a few tokens.
    mutating func namedConditions() {
        let rules = box.namedConditionRules
        guard !rules.isEmpty, profile.upper > 0, profile.lower > 0 else { return }
        // the clinical hits' token ranges and ends (copies of the hits retained their strings)
        var clinical: [(tokStart: Int, tokEnd: Int, nEnd: Int)] = []
        let sq = FlagName.symptomQuestion.rank
        for k in flagHits[sq].indices where box.p.ruleRoles[flagHits[sq][k].rule] == .evidence {
            let category = flagHits[sq][k].category
            if category == "condition" || category == "symptom" { clinical.append((flagHits[sq][k].tokStart, flagHits[sq][k].tokEnd, flagHits[sq][k].nEnd)) }
        }
        guard !clinical.isEmpty else { return }
        let names = nameFinder()
        let toks = tk.tokens
        var done = Set<Int>()
        for h in clinical {
            var k = h.tokStart - 1
            var verb = -1
            while k >= 0 && k >= h.tokStart - 4 && toks[k].sentence == toks[h.tokStart].sentence {
                if names.words.kinds(toks[k]).contains(.having) { verb = k; break }
                k -= 1
            }
            guard verb > 0, !done.contains(verb) else { continue }
            var a = verb
            while a - 1 >= 0 && a > verb - 3 && names.isNameToken(a - 1) { a -= 1 }
            guard a < verb else { continue }
            done.insert(verb)
            addNameHits(rules, a, h.tokEnd, nEnd: h.nEnd, category: "named_condition")
        }
    }

    /// "Patient John Smith, DOB ...", "call Maria Lopez at (617) ...", "la Sra. Ruiz, cama 14": a
    /// person's name within a few tokens of a PHI identifier (phone, e-mail, address, date of birth,
    /// age, room, record number...) supports it (`identifier: person_name`, a cue). A name after a
    /// clinician title ("Dr. Patel", "Nurse Kim") or before a credential ("Ann Lee, MD") is a
    /// provider, not a patient; a name inside the identifier ("22 Oak Street") is not a person.
    mutating func namedPersons() {
        let rules = box.personNameRules
        guard !rules.isEmpty else { return }
        let phi = FlagName.phiExposure.rank
        var spans: [(tokStart: Int, nStart: Int, nEnd: Int)] = []
        for k in flagHits[phi].indices where box.rulePersonIdentifier[flagHits[phi][k].rule] {
            spans.append((flagHits[phi][k].tokStart, flagHits[phi][k].nStart, flagHits[phi][k].nEnd))
        }
        guard !spans.isEmpty, let (a, b) = nameFinder().nameNear(spans) else { return }
        addNameHits(rules, a, b, nEnd: Int(tk.tokens[b - 1].end), category: "person_name")
    }

    /// The rules' hits on the name at tokens `[a, b)`, up to `nEnd` in normalised scalars.
    mutating func addNameHits(_ rules: [Int], _ a: Int, _ b: Int, nEnd: Int, category: String) {
        for ri in rules {
            guard let flag = box.ruleFlags[ri] else { continue }
            let r = box.p.rules[ri]
            var hit = Hit(rule: ri, tokStart: a, tokEnd: b, nStart: Int(tk.tokens[a].start), nEnd: nEnd, weight: r.weight,
                          category: r.category ?? category, severity: r.severity, term: Hit.term(rule: ri))
            hit.mods = .validated
            flagHits[flag.rank].append(hit)
        }
    }
}
