import Foundation

/// Kinds of identifier the recognisers find.
public enum IdentifierKind: String, CaseIterable, Sendable {
    case phone, email, url, ssn, card, npi, mrn, dob, date, address, age, iban
    /// A room or bed number ("room 412", "habitación 305", "bed 12"); weak alone, an identifier next to a name.
    case room
    /// An age under 90 ("45 years old", "de 67 años"); weak alone, an identifier next to a name.
    case statedAge = "stated_age"
    /// A person's name near one of the other identifiers ("Patient John Smith, DOB ..."); a cue, never alone.
    case personName = "person_name"
    /// A named person next to a health condition ("John Peters has cancer"); needs the clinical vocabulary.
    case namedCondition = "named_condition"
}

/// Identifier kinds as bits: the recognisers ask which kinds are wanted for every message, and a
/// `Set` hashed the kind each time.
struct IdentifierKinds: Sendable {
    private var bits: UInt32 = 0

    init(_ kinds: Set<IdentifierKind>) { for k in kinds { bits |= IdentifierKinds.bit(k) } }

    @inline(__always) func contains(_ k: IdentifierKind) -> Bool { bits & IdentifierKinds.bit(k) != 0 }
    var isEmpty: Bool { bits == 0 }

    @inline(__always) private static func bit(_ k: IdentifierKind) -> UInt32 {
        switch k {
        case .phone: 1 << 0
        case .email: 1 << 1
        case .url: 1 << 2
        case .ssn: 1 << 3
        case .card: 1 << 4
        case .npi: 1 << 5
        case .mrn: 1 << 6
        case .dob: 1 << 7
        case .date: 1 << 8
        case .address: 1 << 9
        case .age: 1 << 10
        case .iban: 1 << 11
        case .room: 1 << 12
        case .statedAge: 1 << 13
        case .personName: 1 << 14
        case .namedCondition: 1 << 15
        }
    }
}

/// One identifier found in a normalised text, `[start, end)` in normalised scalars.
public struct IdentifierMatch: Sendable, Equatable {
    public var kind: IdentifierKind
    public var start: Int
    public var end: Int
    public var value: String
    /// Validated by a checksum/format check (vs. accepted on a nearby keyword).
    public var validated: Bool
}

/// Contacts that are never PHI: the organisation's own and the crisis numbers.
struct Allowlist: Sendable {
    var digits: Set<String> = []
    var emails: Set<String> = []
    var domains: Set<String> = []

    func allowsDigits(_ d: String) -> Bool {
        if digits.contains(d) { return true }
        if d.utf8.count == 11, d.hasPrefix("1"), digits.contains(String(d.dropFirst())) { return true }
        return false
    }

    func allowsDomain(_ host: String) -> Bool {
        var h = host
        if h.hasPrefix("www.") { h.removeFirst(4) }
        for d in domains where h == d || h.hasSuffix("." + d) { return true }
        return false
    }
}

enum Validators {
    static func luhn(_ digits: [UInt8]) -> Bool {
        guard digits.count >= 2 else { return false }
        var sum = 0
        for (i, d) in digits.reversed().enumerated() {
            var x = Int(d)
            if i % 2 == 1 { x *= 2; if x > 9 { x -= 9 } }
            sum += x
        }
        return sum % 10 == 0
    }

    static func npi(_ digits: [UInt8]) -> Bool {
        guard digits.count == 10, digits[0] == 1 || digits[0] == 2 else { return false }
        return luhn([8, 0, 8, 4, 0] + digits)
    }

    static func nanp(_ digits: [UInt8]) -> Bool {
        var d = digits
        if d.count == 11 && d[0] == 1 { d.removeFirst() }
        guard d.count == 10 else { return false }
        if d[0] < 2 || d[3] < 2 { return false }
        if d[1] == 1 && d[2] == 1 { return false }  // N11 service codes
        if d[3] == 5 && d[4] == 5 && d[5] == 5 && d[6] == 0 && d[7] == 1 { return true }
        return true
    }

    static func ssn(_ d: [UInt8]) -> Bool {
        guard d.count == 9 else { return false }
        let area = Int(d[0]) * 100 + Int(d[1]) * 10 + Int(d[2])
        let group = Int(d[3]) * 10 + Int(d[4])
        let serial = Int(d[5]) * 1000 + Int(d[6]) * 100 + Int(d[7]) * 10 + Int(d[8])
        if area == 0 || area == 666 || area >= 900 { return false }
        if group == 0 || serial == 0 { return false }
        return true
    }

    static func card(_ d: [UInt8]) -> Bool {
        guard (13...19).contains(d.count), luhn(d) else { return false }
        if Set(d).count <= 1 { return false }
        return true
    }

    static func iban(_ s: String) -> Bool {
        let u = Array(s.uppercased().utf8)
        guard u.count >= 15, u.count <= 34 else { return false }
        guard u[0] >= 65, u[0] <= 90, u[1] >= 65, u[1] <= 90, u[2] >= 48, u[2] <= 57, u[3] >= 48, u[3] <= 57 else { return false }
        let re = Array(u[4...]) + Array(u[0..<4])
        var rem = 0
        for c in re {
            if c >= 48 && c <= 57 {
                rem = (rem * 10 + Int(c - 48)) % 97
            } else if c >= 65 && c <= 90 {
                let v = Int(c - 55)
                rem = (rem * 100 + v) % 97
            } else {
                return false
            }
        }
        return rem == 1
    }
}

private let phoneKeywords: FilteredWords = ["phone", "tel", "telephone", "cell", "mobile", "cellphone", "call", "text", "whatsapp", "fax", "number", "ph", "telefono", "celular", "numero", "llamame", "llame", "movil", "contact", "reach"]
private let cardKeywords: FilteredWords = ["card", "credit", "debit", "visa", "mastercard", "amex", "tarjeta", "cc"]
private let ssnKeywords: FilteredWords = ["ssn", "social", "security", "ss"]
private let dobKeywords: FilteredWords = ["born", "dob", "birth", "birthday", "birthdate", "nacimiento", "naci", "nacio", "nacido", "nacida", "cumpleanos", "d.o.b"]
private let mrnKeywords: FilteredWords = ["mrn", "chart", "record", "records", "member", "account", "acct", "claim", "policy", "subscriber", "expediente", "historia", "paciente", "afiliado", "poliza", "insurance", "medicaid", "medicare", "patient"]
private let idWords: Set<String> = ["id", "number", "no", "num", "nr", "numero", "#"]
private let months: [String: Int] = [
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4, "may": 5, "june": 6, "jun": 6,
    "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9, "sep": 9, "sept": 9, "october": 10, "oct": 10,
    "november": 11, "nov": 11, "december": 12, "dec": 12,
    "enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6, "julio": 7, "agosto": 8,
    "septiembre": 9, "setiembre": 9, "octubre": 10, "noviembre": 11, "diciembre": 12,
]
private let monthInitials: Set<UInt8> = Set("jfmasondje".utf8)
private let streetSuffixes: FilteredWords = [
    "street", "st", "avenue", "ave", "av", "road", "rd", "lane", "ln", "drive", "dr", "boulevard", "blvd", "way",
    "court", "ct", "place", "pl", "circle", "cir", "route", "rte", "highway", "hwy", "parkway", "pkwy", "terrace",
    "trail", "square", "sq", "alley", "bypass", "crescent", "plaza", "calle", "avenida", "carrera", "camino",
    "paseo", "rua", "rue", "via", "viale", "piazza", "piazzetta", "strasse", "straße", "str", "gasse", "weg",
    "plein", "laan", "gata", "gatan", "vej", "vegur", "utca", "ut", "ulica", "ul", "trg", "stra", "cesta",
]
private let fullSuffixes: FilteredWords = ["street", "avenue", "road", "lane", "boulevard", "calle", "avenida", "drive", "highway"]
private let streetBefore: FilteredWords = ["rue", "calle", "avenida", "av", "rua", "via", "viale", "piazza", "piazzetta", "ul", "ulica", "carrera", "paseo", "camino", "trg", "avenue"]
private let streetEndings = ["straat", "strasse", "straße", "gasse", "gatan", "gata", "vegur", "vej", "utca", "weg", "laan", "plein", "allee", "ulica"]
private let addressKeywords: FilteredWords = ["lives", "live", "address", "located", "reside", "resides", "direccion", "domicilio", "vive", "vivo"]
/// "age 3 months" is how long something lasted, not how old someone is.
private let durationUnits: Set<String> = ["month", "months", "week", "weeks", "day", "days", "mes", "meses", "semana", "semanas", "dias"]
/// One lookup per word: 1 record keyword, 2 unit word, 4 psc/unit/cmr, 8 apo/fpo/dpo, 16 po box,
/// 32 room or bed, 64 a unit word that is a home on its own ("apt 4B"; "piso 24" or "suite 5" needs
/// an address word before it: a hotel floor or a clinic's suite is nobody's address).
private let tokenClass: [String: UInt8] = {
    var m: [String: UInt8] = [:]
    for w in mrnKeywords.set { m[w, default: 0] |= 1 }
    for w in ["apt", "apartment", "suite", "ste", "unit", "apto", "piso", "depto", "departamento"] { m[w, default: 0] |= 2 }
    for w in ["apt", "apartment", "apto", "depto"] { m[w, default: 0] |= 64 }
    for w in ["room", "rm", "bed", "habitacion", "cuarto", "cama"] { m[w, default: 0] |= 32 }
    for w in ["psc", "unit", "cmr"] { m[w, default: 0] |= 4 }
    for w in ["apo", "fpo", "dpo"] { m[w, default: 0] |= 8 }
    for w in ["po", "p"] { m[w, default: 0] |= 16 }
    return m
}()

/// A word set with a bitmap over (length, first byte, last byte) of its words: most tokens are
/// rejected by the bitmap without hashing.
struct FilteredWords: ExpressibleByArrayLiteral, Sendable {
    let set: Set<String>
    let bits: [UInt64]
    /// The words as packed keys, for looking up tokens by their `WordKey` (no `String` hashing).
    /// Tokens never hold combining marks or compatibility characters, so byte equality is
    /// `String` equality for them.
    let keys: WordTable
    /// Whether every word fits a `WordKey` (a longer token then cannot be one of them).
    let allFit: Bool
    init<S: Sequence>(_ words: S) where S.Element == String {
        set = Set(words)
        var b = [UInt64](repeating: 0, count: 256)
        var keys = WordTable(capacity: set.count)
        var allFit = true
        for w in set {
            let k = FilteredWords.key(w)
            b[k >> 6] |= 1 << UInt64(k & 63)
            if let wk = WordKey(w) { keys.set(wk, 1) } else { allFit = false }
        }
        bits = b
        self.keys = keys
        self.allFit = allFit
    }
    init(arrayLiteral e: String...) { self.init(e) }
    @inline(__always) static func key(_ w: String) -> Int {
        if let k = w.utf8.withContiguousStorageIfAvailable({ b -> Int in
            guard b.count > 0 else { return 0 }
            return (b.count & 15) << 10 | Int(b[0] & 31) << 5 | Int(b[b.count - 1] & 31)
        }) { return k }
        let u = w.utf8
        guard let f = u.first, let l = u.last else { return 0 }
        return (u.count & 15) << 10 | Int(f & 31) << 5 | Int(l & 31)
    }
    @inline(__always) func contains(_ w: String) -> Bool {
        let k = FilteredWords.key(w)
        return bits[k >> 6] & (1 << UInt64(k & 63)) != 0 && set.contains(w)
    }
    /// Same as `contains(text)` for a token with packed `key`; nil when only the text can tell
    /// (a word longer than a key, and the list has such words). Callers pass the key alone: a
    /// `Token` or a closure for the text copied the token or the scanner for every call.
    @inline(__always) func contains(key: WordKey) -> Bool? {
        if key.isNone { return allFit ? false : nil }
        let k = FilteredWords.key(key)
        return bits[k >> 6] & (1 << UInt64(k & 63)) != 0 && keys.find(key) != nil
    }
    /// `key(_ w: String)` of the word packed in `w`.
    @inline(__always) static func key(_ w: WordKey) -> Int {
        let count = w.count
        return (count & 15) << 10 | Int(w.byte(0) & 31) << 5 | Int(w.byte(count - 1) & 31)
    }
}

extension WordKey {
    /// Bytes in the word (1...15; 0 for `.none`).
    @inline(__always) var count: Int { Int(hi >> 56) }
    /// Byte `k` of the word (`k` < `count`).
    @inline(__always) func byte(_ k: Int) -> UInt8 {
        k < 8 ? UInt8(truncatingIfNeeded: lo >> UInt64(8 * k)) : UInt8(truncatingIfNeeded: hi >> UInt64(8 * (k - 8)))
    }
}

/// `tokenClass` by packed word (every word fits): one probe per token, no `String` hashing.
private let tokenClassTable: WordTable = {
    var t = WordTable(capacity: tokenClass.count)
    for (w, c) in tokenClass { t.set(WordKey(w)!, Int32(c)) }
    return t
}()
private let monthFilter = FilteredWords(months.keys)
/// First bytes of the month names: most tokens are ruled out by one table read before the
/// (not inlined) word-set lookup.
private let monthFirstBytes: [Bool] = {
    var t = [Bool](repeating: false, count: 256)
    for m in months.keys { if let f = m.utf8.first { t[Int(f)] = true } }
    return t
}()
private let streetEndingBytes: [[UInt8]] = streetEndings.map { Array($0.utf8) }
/// Last bytes of the street endings.
private let streetEndingLast: [Bool] = {
    var t = [Bool](repeating: false, count: 256)
    for e in streetEndings { if let l = e.utf8.last { t[Int(l)] = true } }
    return t
}()

func scalarString(_ s: [UInt32], _ a: Int, _ b: Int) -> String {
    // the valid scalars of s[a..<b], encoded as UTF-8 straight into the string's storage
    // (a byte array first cost an allocation and a copy)
    guard a < b else { return "" }
    return s.withUnsafeBufferPointer { s in
        String(unsafeUninitializedCapacity: 4 * (b - a)) { out in
            var k = 0
            for v in s[a..<b] where Unicode.Scalar(v) != nil {
                if v < 0x80 { out[k] = UInt8(v); k += 1 }
                else if v < 0x800 { out[k] = UInt8(0xC0 | (v >> 6)); out[k + 1] = UInt8(0x80 | (v & 0x3F)); k += 2 }
                else if v < 0x10000 { out[k] = UInt8(0xE0 | (v >> 12)); out[k + 1] = UInt8(0x80 | ((v >> 6) & 0x3F)); out[k + 2] = UInt8(0x80 | (v & 0x3F)); k += 3 }
                else { out[k] = UInt8(0xF0 | (v >> 18)); out[k + 1] = UInt8(0x80 | ((v >> 12) & 0x3F)); out[k + 2] = UInt8(0x80 | ((v >> 6) & 0x3F)); out[k + 3] = UInt8(0x80 | (v & 0x3F)); k += 4 }
            }
            return k
        }
    }
}

private let npiKeywords: FilteredWords = ["npi"]

private let unitWords: FilteredWords = ["apt", "apartment", "suite", "ste", "unit", "apto", "piso", "depto", "departamento"]

@inline(__always) private func isDigit(_ v: UInt32) -> Bool { v >= 0x30 && v <= 0x39 }
@inline(__always) private func isAlnumASCII(_ v: UInt32) -> Bool { isDigit(v) || (v >= 0x61 && v <= 0x7A) }

struct IdentifierScanner {
    let s: [UInt32]
    let tokens: [Token]
    let allow: Allowlist
    /// Whether the original text of a token starts with an uppercase letter (or the text has no case at all).
    var capitalized: (Int) -> Bool = { _ in true }

    func capitalizedOrNumber(_ j: Int) -> Bool {
        // a token's text starts with the scalar at its start
        if isDigit(s[Int(tokens[j].start)]) { return true }
        return capitalized(j)
    }

    /// Index of the first token starting at or after `pos`.
    func tokenIndex(atOrAfter pos: Int) -> Int {
        var lo = 0, hi = tokens.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if Int(tokens[mid].start) < pos { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    func keywordBefore(_ pos: Int, _ words: FilteredWords, within: Int) -> Bool {
        let ti = tokenIndex(atOrAfter: pos)
        var k = ti - 1
        var n = 0
        while k >= 0 && n < within {
            if words.contains(key: tokens[k].key) ?? words.contains(tokens[k].text) { return true }
            k -= 1; n += 1
        }
        return false
    }

    func scanAll(wanted: Set<IdentifierKind>) -> [IdentifierMatch] { scanAll(wanted: IdentifierKinds(wanted)) }

    func scanAll(wanted: IdentifierKinds) -> [IdentifierMatch] {
        var out: [IdentifierMatch] = []
        if wanted.isEmpty { return out }
        let (hasAt, hasDigit, hasDigitRun, hasHttp) = textFlags()
        if hasDigitRun { numbers(&out, wanted) }
        if hasAt && (wanted.contains(.email)) { emails(&out) }
        if hasHttp && (wanted.contains(.url)) { urls(&out) }
        if hasDigit && (wanted.contains(.dob) || wanted.contains(.date)) { dates(&out, wanted) }
        if hasDigitRun { tokenRecognisers(&out, wanted) }
        return out
    }

    /// Which recognisers the text can feed: an `@`, a digit, two digits in a row, a `/` or `w`.
    /// Each question is its own search through a buffer pointer that stops at the first hit: a
    /// long text answers most of them early, and a one-test loop is cheap for the rest (one
    /// pass testing everything cost ~16 instructions per scalar).
    private func textFlags() -> (hasAt: Bool, hasDigit: Bool, hasDigitRun: Bool, hasHttp: Bool) {
        s.withUnsafeBufferPointer { s in
            let hasAt = s.contains(0x40)
            let hasHttp = s.contains { $0 == 0x2F || $0 == 0x77 }
            // the first two digits in a row; a search that finds none has still seen any digit
            var hasDigit = false, hasDigitRun = false
            var prevDigit = false
            for v in s {
                let d = isDigit(v)
                if d && prevDigit { hasDigitRun = true; break }
                hasDigit = hasDigit || d
                prevDigit = d
            }
            return (hasAt, hasDigit || hasDigitRun, hasDigitRun, hasHttp)
        }
    }

    /// The digit values as a string of ASCII digits, written straight into the string's storage
    /// (a mapped byte array first cost an allocation and a copy per number group).
    private func digitString(_ digits: [UInt8]) -> String {
        String(unsafeUninitializedCapacity: digits.count) { out in
            for k in digits.indices { out[k] = digits[k] + 48 }
            return digits.count
        }
    }

    /// The first index at or after `from` whose scalar is a digit, or also `+` / `(` when
    /// `orOpen` (what can start a number group); `s.count` when none. Most of a text is
    /// letters and spaces: this skips them in a tight loop instead of the recognisers' own.
    @inline(__always) private func nextDigit(from: Int, orOpen: Bool) -> Int {
        s.withUnsafeBufferPointer { s in
            var i = from
            if orOpen {
                while i < s.count { let v = s[i]; if isDigit(v) || v == 0x2B || v == 0x28 { return i }; i += 1 }
            } else {
                while i < s.count { if isDigit(s[i]) { return i }; i += 1 }
            }
            return s.count
        }
    }

    // Digit groups: phone, SSN, card, NPI.
    func numbers(_ out: inout [IdentifierMatch], _ wanted: IdentifierKinds) {
        let n = s.count
        var i = 0
        // reused for every digit group (cleared, capacity kept)
        var digits: [UInt8] = []
        var dashGroups: [Int] = []
        digits.reserveCapacity(24)
        dashGroups.reserveCapacity(8)
        // asked once (a set lookup per number group cost ~300 instructions each)
        let wantSSN = wanted.contains(.ssn), wantCard = wanted.contains(.card)
        let wantNPI = wanted.contains(.npi), wantPhone = wanted.contains(.phone)
        while i < n {
            // a group starts only at a digit, `+` or `(`; whether one does depends on that
            // scalar and the one before it alone, so the scalars in between need no visit
            i = nextDigit(from: i, orOpen: true)
            if i >= n { break }
            let v = s[i]
            let startsGroup = isDigit(v) || ((v == 0x2B || v == 0x28) && i + 1 < n && isDigit(s[i + 1]))
            if !startsGroup || (i > 0 && (isAlnumASCII(s[i - 1]) || s[i - 1] == 0x2F || s[i - 1] == 0x40)) {
                if isDigit(v) || (v >= 0x61 && v <= 0x7A) {
                    while i < n && (isAlnumASCII(s[i])) { i += 1 }
                } else { i += 1 }
                continue
            }
            let start = i
            digits.removeAll(keepingCapacity: true)
            dashGroups.removeAll(keepingCapacity: true)
            var lastDigitEnd = i
            var seps = 0
            var prevSep = false
            var groups = 0
            var inGroup = false
            var curLen = 0
            while i < n {
                let c = s[i]
                if isDigit(c) {
                    digits.append(UInt8(c - 0x30))
                    if !inGroup { groups += 1; inGroup = true; curLen = 0 }
                    curLen += 1
                    lastDigitEnd = i + 1
                    prevSep = false
                    i += 1
                } else if c == 0x20 || c == 0x2D || c == 0x2E || c == 0x28 || c == 0x29 || c == 0x2B {
                    if inGroup { dashGroups.append(curLen) }
                    inGroup = false
                    if prevSep && !(c == 0x20 || c == 0x28 || s[i - 1] == 0x29) { break }
                    if c == 0x2E && (i + 1 >= n || !isDigit(s[i + 1])) { break }
                    seps += 1
                    prevSep = true
                    i += 1
                    if digits.count > 19 { break }
                } else {
                    break
                }
            }
            if inGroup { dashGroups.append(curLen) }
            let end = lastDigitEnd
            // a letter right after the digits makes this a code, not a number
            let followedByLetter = end < n && (s[end] >= 0x61 && s[end] <= 0x7A) && end == i
            i = max(end, start + 1)
            if followedByLetter || digits.count < 7 { continue }
            let value = scalarString(s, start, end)
            let digitStr = digitString(digits)
            if allow.allowsDigits(digitStr) { continue }
            // SSN
            if digits.count == 9, wantSSN {
                let formatted = dashGroups == [3, 2, 4]
                if (formatted || keywordBefore(start, ssnKeywords, within: 4)) && Validators.ssn(digits) {
                    out.append(IdentifierMatch(kind: .ssn, start: start, end: end, value: value, validated: formatted))
                    continue
                }
            }
            if (13...19).contains(digits.count), wantCard {
                if Validators.card(digits) {
                    out.append(IdentifierMatch(kind: .card, start: start, end: end, value: value, validated: true))
                    continue
                }
                if keywordBefore(start, cardKeywords, within: 4) && Set(digits).count > 2 {
                    out.append(IdentifierMatch(kind: .card, start: start, end: end, value: value, validated: false))
                    continue
                }
            }
            if digits.count == 10, wantNPI, keywordBefore(start, npiKeywords, within: 4), Validators.npi(digits) {
                out.append(IdentifierMatch(kind: .npi, start: start, end: end, value: value, validated: true))
                continue
            }
            if wantPhone && !(digits.count < 10 && keywordBefore(start, mrnKeywords, within: 4)) {
                if (digits.count == 10 || (digits.count == 11 && digits[0] == 1)) && Validators.nanp(digits) && groups >= 1 {
                    // bare 10-digit runs need a keyword; formatted numbers are accepted as they are
                    if groups >= 2 || keywordBefore(start, phoneKeywords, within: 4) {
                        out.append(IdentifierMatch(kind: .phone, start: start, end: end, value: value, validated: true))
                        continue
                    }
                }
                if (7...15).contains(digits.count) && keywordBefore(start, phoneKeywords, within: 4) {
                    out.append(IdentifierMatch(kind: .phone, start: start, end: end, value: value, validated: false))
                    continue
                }
            }
        }
    }

    func emails(_ out: inout [IdentifierMatch]) {
        let n = s.count
        func localChar(_ c: UInt32) -> Bool { isAlnumASCII(c) || c == 0x2E || c == 0x5F || c == 0x25 || c == 0x2B || c == 0x2D }
        func domChar(_ c: UInt32) -> Bool { isAlnumASCII(c) || c == 0x2E || c == 0x2D }
        var i = 0
        while i < n {
            if s[i] != 0x40 { i += 1; continue }
            var a = i
            while a > 0 && localChar(s[a - 1]) { a -= 1 }
            var b = i + 1
            while b < n && domChar(s[b]) { b += 1 }
            while b > i + 1 && (s[b - 1] == 0x2E || s[b - 1] == 0x2D) { b -= 1 }
            guard a < i, b > i + 1 else { i += 1; continue }
            let domain = scalarString(s, i + 1, b)
            let parts = domain.split(separator: ".")
            guard parts.count >= 2, let tld = parts.last, tld.count >= 2, tld.allSatisfy({ $0.isLetter }) else { i = b; continue }
            let value = scalarString(s, a, b)
            if !allow.emails.contains(value) && !allow.allowsDomain(domain) {
                out.append(IdentifierMatch(kind: .email, start: a, end: b, value: value, validated: true))
            }
            i = b
        }
    }

    func urls(_ out: inout [IdentifierMatch]) {
        let n = s.count
        var i = 0
        /// "http:", "https:" or "www." at `i`.
        func startsURL(_ i: Int) -> Bool {
            if s[i] == 0x68 {
                return i + 6 < n && s[i + 1] == 0x74 && s[i + 2] == 0x74 && s[i + 3] == 0x70 && (s[i + 4] == 0x3A || (s[i + 4] == 0x73 && s[i + 5] == 0x3A))
            }
            return s[i] == 0x77 && i + 4 <= n && s[i + 1] == 0x77 && s[i + 2] == 0x77 && s[i + 3] == 0x2E
        }
        while i < n {
            let isStart = startsURL(i)
            if !isStart || (i > 0 && isAlnumASCII(s[i - 1])) { i += 1; continue }
            var b = i
            while b < n && s[b] > 0x20 && s[b] != 0x22 && s[b] != 0x3C && s[b] != 0x3E { b += 1 }
            while b > i && (s[b - 1] == 0x2E || s[b - 1] == 0x2C || s[b - 1] == 0x29 || s[b - 1] == 0x21 || s[b - 1] == 0x3F) { b -= 1 }
            let value = scalarString(s, i, b)
            var host = Substring(value)
            if let r = host.range(of: "://") { host = host[r.upperBound...] }
            if let sl = host.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" || $0 == ":" }) { host = host[..<sl] }
            if !allow.allowsDomain(String(host)) {
                out.append(IdentifierMatch(kind: .url, start: i, end: b, value: value, validated: host.contains(".")))
            }
            i = max(b, i + 1)
        }
    }

    /// Dates (numeric or with a month name); `dob` when a birth keyword comes before in the sentence.
    func dates(_ out: inout [IdentifierMatch], _ wanted: IdentifierKinds) {
        let n = s.count
        var i = 0
        var found: [(Int, Int)] = []
        // numeric: d{1,4}[/.-]d{1,2}[/.-]d{2,4}
        while i < n {
            // a date starts only at a digit (the test reads it and the scalar before it alone)
            i = nextDigit(from: i, orOpen: false)
            if i >= n { break }
            guard isDigit(s[i]), i == 0 || !isAlnumASCII(s[i - 1]) else { i += 1; continue }
            // up to three parts, in fixed slots (no arrays per digit group)
            var p0 = 0, p1 = 0, p2 = 0, l0 = 0, l2 = 0
            var count = 0
            var j = i
            var sep: UInt32 = 0
            while j < n {
                var v = 0, l = 0
                while j < n && isDigit(s[j]) && l < 5 { v = v * 10 + Int(s[j] - 0x30); j += 1; l += 1 }
                if l == 0 { break }
                if count == 0 { p0 = v; l0 = l } else if count == 1 { p1 = v } else { p2 = v; l2 = l }
                count += 1
                if count == 3 { break }
                if j < n && (s[j] == 0x2F || s[j] == 0x2D || s[j] == 0x2E) && (sep == 0 || sep == s[j]) && j + 1 < n && isDigit(s[j + 1]) {
                    sep = s[j]; j += 1
                } else { break }
            }
            if count == 3 && !(j < n && isAlnumASCII(s[j])) {
                let ok: Bool
                if l0 == 4 { ok = (1...12).contains(p1) && (1...31).contains(p2) }
                else { ok = (1...31).contains(p0) && (1...31).contains(p1) && (p0 <= 12 || p1 <= 12) && (l2 == 2 || l2 == 4) }
                if ok { found.append((i, j)) }
                i = j
                continue
            }
            while i < n && isDigit(s[i]) { i += 1 }
        }
        // month names: "march 3", "march 3, 2020", "3 march 2020", "3 de marzo de 2020"
        let monthWords = monthFilter  // hoisted: a global read costs a `swift_once` check per token
        let monthFirst = monthFirstBytes
        for ti in tokens.indices {
            // 3...10 bytes: the key holds the word, so its first byte is the text's
            guard tokens[ti].byteCount >= 3, tokens[ti].byteCount <= 10, monthFirst[Int(tokens[ti].key.byte(0))],
                  (monthWords.contains(key: tokens[ti].key) ?? monthWords.contains(tokens[ti].text)) else { continue }
            let t = tokens[ti]
            if t.text == "may" || t.text == "mar" || t.text == "jun" {
                // only with a number right next to it
            }
            var a = Int(t.start), b = Int(t.end)
            var hasNum = false
            if ti + 1 < tokens.count, let d = Int(tokens[ti + 1].text), d >= 1, d <= 31 || (d >= 1900 && d <= 2100) {
                b = Int(tokens[ti + 1].end); hasNum = true
                if ti + 2 < tokens.count, let y = Int(tokens[ti + 2].text), y >= 1900, y <= 2100 { b = Int(tokens[ti + 2].end) }
            }
            var k = ti - 1
            if k >= 0 && tokens[k].text == "de" { k -= 1 }
            if k >= 0, let d = Int(tokens[k].text), d >= 1, d <= 31 {
                a = Int(tokens[k].start); hasNum = true
                var m = ti + 1
                if m < tokens.count && tokens[m].text == "de" { m += 1 }
                if m < tokens.count, let y = Int(tokens[m].text), y >= 1900, y <= 2100 { b = Int(tokens[m].end) }
            }
            if hasNum { found.append((a, b)) }
        }
        for (a, b) in found {
            let value = scalarString(s, a, b)
            let ti = tokenIndex(atOrAfter: a)
            var isDob = false
            var k = ti - 1
            var c = 0
            while k >= 0 && c < 8 {
                if dobKeywords.contains(key: tokens[k].key) ?? dobKeywords.contains(tokens[k].text) { isDob = true; break }
                if ti < tokens.count && tokens[k].sentence != tokens[ti].sentence { break }
                k -= 1; c += 1
            }
            if isDob && wanted.contains(.dob) {
                out.append(IdentifierMatch(kind: .dob, start: a, end: b, value: value, validated: true))
            } else if wanted.contains(.date) {
                out.append(IdentifierMatch(kind: .date, start: a, end: b, value: value, validated: true))
            }
        }
    }

    /// Token-level recognisers: IBAN, MRN / member id, age over 89, street addresses.
    func tokenRecognisers(_ out: inout [IdentifierMatch], _ wanted: IdentifierKinds) {
        let T = tokens.count
        var usedAddress = -1
        let wantIban = wanted.contains(.iban), wantMrn = wanted.contains(.mrn)
        let wantAge = wanted.contains(.age), wantAddr = wanted.contains(.address)
        let wantRoom = wanted.contains(.room), wantStatedAge = wanted.contains(.statedAge)
        let firstAddressStart = out.count
        // hoisted: a global read costs a `swift_once` check per token
        let classes = tokenClassTable
        let suffixes = streetSuffixes, full = fullSuffixes, before = streetBefore, units = unitWords
        // through a buffer pointer: `tokens[i].text` then reads one field instead of copying the token
        tokens.withUnsafeBufferPointer { tokens in
        for i in 0..<T {
            // most tokens are decided on their length, first scalar and packed key, without
            // touching (retaining, hashing) their `String`
            let count = Int(tokens[i].byteCount)
            guard count > 0 else { continue }
            let f = s[Int(tokens[i].start)]  // the token's text starts with it
            let digitStart = isDigit(f)
            if !digitStart {
                // IBAN: two letters, two digits, then 11-30 letters or digits
                if wantIban, count >= 15, count <= 34, f >= 97, f <= 122 {
                    let t = tokens[i].text
                    var it = t.utf8.makeIterator()
                    _ = it.next()
                    let c1 = it.next() ?? 0, c2 = it.next() ?? 0, c3 = it.next() ?? 0
                    if c1 >= 97 && c1 <= 122 && c2 >= 48 && c2 <= 57 && c3 >= 48 && c3 <= 57 && Validators.iban(t) {
                        out.append(IdentifierMatch(kind: .iban, start: Int(tokens[i].start), end: Int(tokens[i].end), value: t, validated: true))
                        continue
                    }
                }
                guard count <= 10, let cls = classes.find(tokens[i].key) else { continue }
                // MRN / member id: keyword then a code with 5+ digits within 4 tokens
                if wantMrn, cls & 1 != 0 {
                    var j = i + 1
                    while j < T && j <= i + 4 {
                        let c = tokens[j].text
                        let dcount = c.utf8.reduce(0) { $0 + (($1 >= 48 && $1 <= 57) ? 1 : 0) }
                        if dcount >= 5 && c.utf8.count <= 20 {
                            out.append(IdentifierMatch(kind: .mrn, start: Int(tokens[j].start), end: Int(tokens[j].end), value: c, validated: false))
                            break
                        }
                        j += 1
                    }
                }
                if wantRoom, cls & 32 != 0, i + 1 < T, isNumberToken(tokens[i + 1].key) {
                    out.append(IdentifierMatch(kind: .room, start: Int(tokens[i].start), end: Int(tokens[i + 1].end), value: tokens[i + 1].text, validated: false))
                    continue
                }
                guard wantAddr, i > usedAddress else { continue }
                if cls & 2 != 0, i + 1 < T, isNumberToken(tokens[i + 1].key),
                   cls & 64 != 0 || keywordBefore(Int(tokens[i].start), addressKeywords, within: 6) {
                    out.append(IdentifierMatch(kind: .address, start: Int(tokens[i].start), end: Int(tokens[i + 1].end), value: "", validated: false))
                    usedAddress = i + 1
                    continue
                }
                if cls & 4 != 0 && i + 3 < T && isNumberToken(tokens[i + 1].key) && tokens[i + 2].text == "box" {
                    out.append(IdentifierMatch(kind: .address, start: Int(tokens[i].start), end: Int(tokens[i + 3].end), value: "", validated: true))
                    usedAddress = i + 3
                    continue
                }
                if cls & 8 != 0 && i + 2 < T && ["aa", "ae", "ap"].contains(tokens[i + 1].text) && isNumberToken(tokens[i + 2].key) {
                    out.append(IdentifierMatch(kind: .address, start: Int(tokens[i].start), end: Int(tokens[i + 2].end), value: "", validated: true))
                    usedAddress = i + 2
                    continue
                }
                if cls & 16 != 0 && i + 2 < T && tokens[i + 1].text == "box" && isNumberToken(tokens[i + 2].key) {
                    out.append(IdentifierMatch(kind: .address, start: Int(tokens[i].start), end: Int(tokens[i + 2].end), value: "", validated: true))
                    usedAddress = i + 2
                }
                continue
            }
            // Age over 89
            if wantAge, count <= 3, let n = Int(tokens[i].text), n >= 90, n <= 125 {
                let t = tokens[i].text
                let next = i + 1 < T ? tokens[i + 1].text : ""
                let next2 = i + 2 < T ? tokens[i + 2].text : ""
                let prev = i > 0 ? tokens[i - 1].text : ""
                if ((next == "years" || next == "year" || next == "yrs" || next == "yr") && (next2 == "old" || next2 == "of")) || next == "yo" || next == "anos" || next == "años"
                    || prev == "age" || prev == "aged" || prev == "edad" {
                    out.append(IdentifierMatch(kind: .age, start: Int(tokens[i].start), end: Int(tokens[min(i + 2, T - 1)].end), value: t, validated: true))
                }
            } else if wantStatedAge, count <= 2, let n = Int(tokens[i].text), n >= 1, n <= 89 {
                // a younger age: the same wording, "45 years old", "age 45", "de 67 años"
                let next = i + 1 < T ? tokens[i + 1].text : ""
                let next2 = i + 2 < T ? tokens[i + 2].text : ""
                let prev = i > 0 ? tokens[i - 1].text : ""
                if ((next == "years" || next == "year" || next == "yrs" || next == "yr") && next2 == "old") || next == "yo" || next == "anos" || next == "años"
                    || ((prev == "age" || prev == "aged" || prev == "edad") && !durationUnits.contains(next)) {
                    out.append(IdentifierMatch(kind: .statedAge, start: Int(tokens[i].start), end: Int(tokens[min(i + 2, T - 1)].end), value: tokens[i].text, validated: false))
                }
            }
            // Street address starting at a house number
            guard wantAddr, i > usedAddress, isNumberToken(tokens[i].key) else { continue }
            var endTok = -1
            var j = i + 1
            var sawName = false
            while j < T && j <= i + 5 && tokens[j].sentence == tokens[i].sentence {
                if (suffixes.contains(key: tokens[j].key) ?? suffixes.contains(tokens[j].text)) && (sawName || (full.contains(key: tokens[j].key) ?? full.contains(tokens[j].text))) { endTok = j; break }
                if !capitalizedOrNumber(j) { break }
                // a street has a name: "11, 2013, Dr. Kurzon" is a date and a title
                if !isNumberToken(tokens[j].key) { sawName = true }
                j += 1
            }
            var startTok = i
            if endTok < 0 {
                var k = i - 1
                while k >= 0 && k >= i - 3 && tokens[k].sentence == tokens[i].sentence {
                    if (before.contains(key: tokens[k].key) ?? before.contains(tokens[k].text)) || (mayHaveStreetEnding(tokens[k].key) && hasStreetEnding(tokens[k].key, tokens[k].text)) {
                        if k == i - 1 {
                            // "calle 23" names a street; a house on it has a number of its own ("calle 23 #456", "calle 5 no. 12")
                            var m = i + 1
                            if m < T, ["no", "num", "numero", "nro", "n"].contains(tokens[m].text) { m += 1 }
                            if m < T, tokens[m].sentence == tokens[i].sentence, isNumberToken(tokens[m].key) { startTok = k; endTok = m }
                            break
                        }
                        startTok = k; endTok = i; break
                    }
                    k -= 1
                }
            }
            if endTok < 0, i + 1 < T, mayHaveStreetEnding(tokens[i + 1].key), hasStreetEnding(tokens[i + 1].key, tokens[i + 1].text) {
                endTok = i + 1
            }
            if endTok >= 0 {
                var e = endTok
                if e + 2 < T, (units.contains(key: tokens[e + 1].key) ?? units.contains(tokens[e + 1].text)), isNumberToken(tokens[e + 2].key) { e += 2 }
                out.append(IdentifierMatch(kind: .address, start: Int(tokens[startTok].start), end: Int(tokens[e].end), value: "", validated: true))
                usedAddress = e
                continue
            }
            if i + 1 < T, capitalized(i + 1), !isNumberToken(tokens[i + 1].key), addressLead(i) {
                var e = i + 1
                while e + 1 < T && e < i + 5 && tokens[e + 1].sentence == tokens[i].sentence && capitalizedOrNumber(e + 1) { e += 1 }
                out.append(IdentifierMatch(kind: .address, start: Int(tokens[i].start), end: Int(tokens[e].end), value: "", validated: false))
                usedAddress = e
            }
        }
        }
        for k in firstAddressStart..<out.count where out[k].kind == .address {
            out[k].value = scalarString(s, out[k].start, out[k].end)
        }
    }

    /// "lives at 12 ...", "address is 12 ...", "vive en 12 ...": an address keyword right before the number.
    private func addressLead(_ i: Int) -> Bool {
        guard i >= 1 else { return false }
        let p1 = tokens[i - 1].text
        if p1 == "address" || p1 == "direccion" || p1 == "domicilio" { return true }
        guard i >= 2, ["at", "on", "is", "en", "es"].contains(p1) else { return false }
        return addressKeywords.contains(tokens[i - 2].text)
    }

    /// False when the packed key of a token already rules out `hasStreetEnding` (short words,
    /// most last bytes): the token's text is not read.
    private func mayHaveStreetEnding(_ key: WordKey) -> Bool {
        key.isNone || (key.count >= 6 && streetEndingLast[Int(key.byte(key.count - 1))])
    }

    /// Whether the word `w`, with packed `key`, ends like a street name: the byte test reads the
    /// key (an array of the word's bytes was allocated for every word ending like one).
    private func hasStreetEnding(_ key: WordKey, _ w: String) -> Bool {
        guard key.isNone else { return endsWithStreetEnding(key.count, w) { key.byte($0) } }
        let bytes = Array(w.utf8)
        return endsWithStreetEnding(bytes.count, w) { bytes[$0] }
    }

    /// The suffix test for a word of `n` bytes read through `byte`. A byte suffix is necessary
    /// for `hasSuffix` (the endings have no other canonical form): it is checked first.
    @inline(__always) private func endsWithStreetEnding(_ n: Int, _ w: String, _ byte: (Int) -> UInt8) -> Bool {
        guard n >= 6, streetEndingLast[Int(byte(n - 1))] else { return false }
        for e in streetEndingBytes where n > e.count + 1 {
            var k = 1
            while k <= e.count && byte(n - k) == e[e.count - k] { k += 1 }
            if k > e.count, w.hasSuffix(String(decoding: e, as: UTF8.self)) { return true }
        }
        return false
    }

    /// A house number ("12", "12b"): 1-6 bytes, digits and lowercase letters, at most one letter;
    /// read from the token's packed key.
    private func isNumberToken(_ key: WordKey) -> Bool {
        let n = key.count
        guard n >= 1, n <= 6 else { return false }
        var digits = 0
        for k in 0..<n {
            let c = key.byte(k)
            if c >= 48 && c <= 57 { digits += 1 } else if !(c >= 97 && c <= 122) { return false }
        }
        return digits >= 1 && digits >= n - 1
    }
}
