import Foundation
import InboxModel

/// Checks an outgoing reply before it is queued.
public struct ReplyGuard: Sendable {
    let p: PolicySet
    let classifier: Classifier

    public init(policies: PolicySet) {
        p = policies
        classifier = Classifier(policies: policies)
    }

    static let identifierKinds: Set<IdentifierKind> = [.phone, .email, .url, .ssn, .card, .npi, .mrn, .dob, .date, .address, .age, .iban]

    /// Clinical hits (symptom/emergency vocabulary) as token ranges.
    func clinicalHits(_ tk: Tokenized) -> [(Int, Int, String)] {
        guard let trie = p.tries["all"] else { return [] }
        let tokens = tk.tokens
        var out: [(Int, Int, String)] = []
        trie.scan(tk) { i, j, pid in
            let pl = trie.payloads[Int(pid)]
            let r = p.rules[Int(pl.rule)]
            if r.role == .evidence, r.flag == .symptomQuestion || r.flag == .emergency {
                out.append((i, j, tokens[i..<j].map(\.text).joined(separator: " ")))
            }
        }
        return out
    }

    public func check(reply: String, original: String, authorName: String?, platform: Platform, isPublic: Bool) -> [GuardViolation] {
        var v: [GuardViolation] = []
        let (norm, tk, ids) = classifier.identifiers(in: reply, kinds: Self.identifierKinds)
        let tokens = tk.tokens
        func span(_ a: Int, _ b: Int) -> [Int] { let (s, e) = norm.originalSpan(a, b); return [s, e] }
        func tspan(_ i: Int, _ j: Int) -> [Int] { span(Int(tokens[i].start), Int(tokens[j - 1].end)) }

        for m in ids {
            switch m.kind {
            case .date:
                v.append(GuardViolation(code: "visit_date", message: "The reply mentions a date (\(m.value)); a date tied to a person can reveal a visit.", span: span(m.start, m.end)))
            case .url:
                v.append(GuardViolation(code: "link_not_allowed", message: "The link \(m.value) is not one of the organisation's own addresses.", span: span(m.start, m.end)))
            default:
                v.append(GuardViolation(code: "phi_identifier", message: "The reply contains a personal identifier (\(m.kind.rawValue)); use only the organisation's own contacts.", span: span(m.start, m.end)))
            }
        }

        // Confirming a patient relationship.
        p.guardPhrases.scan(tk) { i, j, _ in
            v.append(GuardViolation(code: "confirms_patient", message: "\"\(norm.originalText(tspan(i, j)[0], tspan(i, j)[1]))\" confirms that the person is a patient; say nothing about whether they were seen.", span: tspan(i, j)))
        }
        // Naming a clinician ("Dr. Patel", "Dra. López").
        let caps = capitalizedFunction(norm, tokens)
        for i in tokens.indices where p.clinicianTitles.contains(tokens[i].text) && i + 1 < tokens.count {
            let next = tokens[i + 1]
            if caps(i + 1) && !next.isEmoji && next.text.unicodeScalars.count >= 2 {
                v.append(GuardViolation(code: "names_clinician", message: "The reply names a clinician; naming who treated someone confirms they are a patient.", span: tspan(i, i + 2)))
            }
        }
        // A person's name next to a clinical word.
        let clinical = clinicalHits(tk)
        if let name = authorName {
            let nameToks = Set(termTokens(name).filter { $0.unicodeScalars.count >= 2 })
            let w = p.guardNameWindow
            for (i, t) in tokens.enumerated() where nameToks.contains(t.text) {
                if let c = clinical.first(where: { abs($0.0 - i) <= w || abs($0.1 - 1 - i) <= w }) {
                    v.append(GuardViolation(code: "name_with_health_info", message: "The reply puts the person's name next to a health word (\"\(c.2)\").", span: tspan(min(i, c.0), max(i + 1, c.1))))
                    break
                }
            }
        }
        // Private details from the message repeated in a public reply.
        if isPublic {
            let on = NormalizedText(original)
            let origClinical = Set(clinicalHits(tokenize(on.scalars, breaks: on.caseBreaks)).map(\.2))
            for c in clinical where origClinical.contains(c.2) {
                v.append(GuardViolation(code: "private_in_public", message: "The public reply repeats a health detail from the message (\"\(c.2)\"); move it to a private message.", span: tspan(c.0, c.1)))
            }
            let (_, _, origIDs) = classifier.identifiers(in: original, kinds: Self.identifierKinds)
            let origValues = Set(origIDs.map { $0.value.filter { $0.isLetter || $0.isNumber } })
            for m in ids where origValues.contains(m.value.filter { $0.isLetter || $0.isNumber }) {
                v.append(GuardViolation(code: "private_in_public", message: "The public reply repeats a private detail from the message.", span: span(m.start, m.end)))
            }
        }
        // Length limit (X counts every URL as 23).
        if let limit = platform.replyLimit {
            let n = Self.length(of: reply, platform: platform)
            if n > limit {
                v.append(GuardViolation(code: "too_long", message: "The reply is \(n) characters; \(platform.label) allows \(limit).", span: [0, reply.unicodeScalars.count]))
            }
        }
        return v
    }

    /// Length as the platform counts it.
    public static func length(of reply: String, platform: Platform) -> Int {
        guard platform == .x else { return reply.count }
        let norm = NormalizedText(reply)
        let tk = tokenize(norm.scalars, breaks: norm.caseBreaks)
        var out: [IdentifierMatch] = []
        IdentifierScanner(s: norm.scalars, tokens: tk.tokens, allow: Allowlist()).urls(&out)
        var total = reply.count
        for m in out {
            let (s, e) = norm.originalSpan(m.start, m.end)
            total += 23 - norm.originalText(s, e).count
        }
        return total
    }
}
