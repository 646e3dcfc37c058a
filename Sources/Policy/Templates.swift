import Foundation
import InboxModel

extension PolicySet {
    /// Placeholders a template body may use, with the organisation's values.
    public var templateValues: [String: String] {
        let o = organization
        return [
            "org_name": o.name, "website": o.website, "phone": o.phone, "booking_link": o.booking_link,
            "patient_relations_name": o.patient_relations.name, "patient_relations_phone": o.patient_relations.phone,
            "patient_relations_email": o.patient_relations.email, "emergency_number": o.numbers.emergency,
            "crisis_number": o.numbers.crisis, "crisis_text": o.numbers.crisis_text, "crisis_chat": o.numbers.crisis_chat,
            "crisis_spanish": o.numbers.crisis_spanish, "poison_number": o.numbers.poison,
            "commenting_policy_url": commentingPolicyURL,
        ]
    }

    /// Replaces `{{name}}` placeholders; unknown placeholders are left as they are.
    public func render(_ body: String) -> String {
        var out = ""
        var rest = Substring(body)
        let values = templateValues
        while let r = rest.range(of: "{{") {
            out += rest[..<r.lowerBound]
            guard let e = rest[r.upperBound...].range(of: "}}") else { out += rest[r.lowerBound...]; return out }
            let key = rest[r.upperBound..<e.lowerBound].trimmingCharacters(in: .whitespaces)
            out += values[key] ?? "{{\(key)}}"
            rest = rest[e.upperBound...]
        }
        out += rest
        return out
    }

    /// Unknown placeholders in a template body (for `policy check`).
    func unknownPlaceholders(_ body: String) -> [String] {
        var bad: [String] = []
        var rest = Substring(body)
        let values = templateValues
        while let r = rest.range(of: "{{"), let e = rest[r.upperBound...].range(of: "}}") {
            let key = rest[r.upperBound..<e.lowerBound].trimmingCharacters(in: .whitespaces)
            if values[key] == nil { bad.append(key) }
            rest = rest[e.upperBound...]
        }
        return bad
    }

    func fits(_ t: ReplyTemplate, _ hit: FlagHit, sentiment: Sentiment, kind: MessageKind) -> Bool {
        PolicySet.fits(t, hit, sentiment: sentiment, kind: kind)
    }

    static func fits(_ t: ReplyTemplate, _ hit: FlagHit, sentiment: Sentiment, kind: MessageKind) -> Bool {
        if !t.categories.isEmpty {
            guard let c = hit.category, t.categories.contains(c) else { return false }
        }
        if !t.sentiments.isEmpty && !t.sentiments.contains(sentiment.rawValue) { return false }
        if !t.kinds.isEmpty && !t.kinds.contains(kind.rawValue) { return false }
        return true
    }

    func candidates(for c: Classification, kind: MessageKind) -> [ReplyTemplate] {
        let lang = replyTemplates.contains { $0.language == c.language } ? c.language : "en"
        var out: [ReplyTemplate] = []
        for hit in c.flags.sorted(by: { $0.flag < $1.flag }) {
            let ts = replyTemplates.filter { $0.flag == hit.flag && $0.language == lang && fits($0, hit, sentiment: c.sentiment, kind: kind) }
            out += ts.filter(\.recommended) + ts.filter { !$0.recommended }
        }
        return out
    }

    /// The template the policy recommends: the most urgent raised flag's recommended template.
    func recommendedTemplateID(for c: Classification, kind: MessageKind) -> String? {
        PolicySet.recommendedTemplateID(in: replyTemplates, for: c, kind: kind)
    }

    /// Static so that the classifier passes the template list alone, not a copy of the policy set.
    static func recommendedTemplateID(in replyTemplates: [ReplyTemplate], for c: Classification, kind: MessageKind) -> String? {
        guard !c.flags.isEmpty else { return nil }
        let lang = replyTemplates.contains { $0.language == c.language } ? c.language : "en"
        // Only a raised flag picks the reply. An emergency held at review (negated or figurative:
        // "casi me da un infarto con la factura") is listed, but a person decides on it: the 911
        // reply is not put on key 1 for a joke about a bill.
        let order = c.flags.sorted { $0.flag < $1.flag }
        guard let top = order.first(where: { $0.decision >= .flag }) else { return nil }
        // first recommended fitting template, else the first fitting one (no copies of the list)
        var firstFit: Int? = nil
        for i in replyTemplates.indices where replyTemplates[i].flag == top.flag && replyTemplates[i].language == lang {
            guard fits(replyTemplates[i], top, sentiment: c.sentiment, kind: kind) else { continue }
            if replyTemplates[i].recommended { return replyTemplates[i].id }
            if firstFit == nil { firstFit = i }
        }
        return firstFit.map { replyTemplates[$0].id }
    }

    /// Templates that fit a message, recommended first, rendered with the organisation's
    /// details, in the message's language (fallback en).
    public func templates(for c: Classification, kind: MessageKind) -> [RenderedReply] {
        var list = candidates(for: c, kind: kind)
        if let rec = recommendedTemplateID(for: c, kind: kind), let i = list.firstIndex(where: { $0.id == rec }) {
            let t = list.remove(at: i)
            list.insert(t, at: 0)
        }
        return list.map { RenderedReply(templateID: $0.id, title: $0.title, text: render($0.body)) }
    }

    public func template(id: String) -> ReplyTemplate? { replyTemplates.first { $0.id == id } }

    /// The removal reason code for an offensive category (or a flag such as spam / phi_exposure).
    public func removalReason(forCategory category: String) -> RemovalReason? {
        let code = offensiveReasonCodes[category] ?? category
        return removalReasons.first { $0.code == code }
    }
}
