import Foundation
import InboxModel

/// `rounds classify`'s two outputs: JSON Lines for programs, plain words for people. Text from
/// the input is escaped (JSON) or shown with placeholders (words).
public enum ClassificationText {
    /// One JSON line: the input's id (its own, or the line number), language, sentiment, flags
    /// with their evidence, and the recommended template.
    public static func jsonLine(id: Any, _ c: Classification) -> String {
        let idJSON: String
        if let s = id as? String { idJSON = String.jsonQuoted(s) }
        else if let n = id as? NSNumber { idJSON = n.stringValue }
        else if let i = id as? Int { idJSON = String(i) }
        else { idJSON = String.jsonQuoted("\(id)") }
        var s = "{\"id\": \(idJSON), \"language\": \(String.jsonQuoted(c.language)), \"sentiment\": \(String.jsonQuoted(c.sentiment.rawValue)), \"flags\": ["
        s += c.flags.map { f in
            var x = "{\"flag\": \(String.jsonQuoted(f.flag.rawValue)), \"decision\": \(String.jsonQuoted(f.decision.rawValue)), \"score\": \(f.score), "
            x += "\"severity\": \(f.severity.map(String.jsonQuoted) ?? "null"), \"category\": \(f.category.map(String.jsonQuoted) ?? "null"), \"evidence\": ["
            x += f.evidence.map { e in
                "{\"rule\": \(String.jsonQuoted(e.rule)), \"file\": \(String.jsonQuoted(e.file)), \"span\": [\(e.span.first ?? 0), \(e.span.last ?? 0)], \"text\": \(String.jsonQuoted(e.text)), \"modifiers\": [\(e.modifiers.map(String.jsonQuoted).joined(separator: ", "))]}"
            }.joined(separator: ", ")
            return x + "]}"
        }.joined(separator: ", ")
        s += "], \"template\": \(c.template.map(String.jsonQuoted) ?? "null")}"
        return s
    }

    /// The classification in words for a person: each flag with its decision and up to eight
    /// pieces of evidence.
    public static func explain(_ lineNo: Int, _ text: String, _ c: Classification) -> String {
        let preview = UntrustedText.line(String(text.prefix(100)))
        var s = "\(lineNo): \(preview)\(text.count > 100 ? "…" : "")\n"
        s += "  language \(c.language), sentiment \(c.sentiment.rawValue)\n"
        if c.flags.isEmpty { s += "  no flags\n" }
        for f in c.flags {
            var head = "  \(f.flag.rawValue): \(f.decision.rawValue) (score \(f.score)"
            if let sv = f.severity { head += ", severity \(sv)" }
            if let ct = f.category { head += ", \(ct)" }
            s += head + ")\n"
            for e in f.evidence.prefix(8) {
                let mods = e.modifiers.isEmpty ? "" : " [\(e.modifiers.joined(separator: ", "))]"
                s += "    - \"\(UntrustedText.line(e.text))\" at \(e.span[0])..<\(e.span[1]) by \(e.rule) (\(e.file))\(mods), +\(e.contribution)\n"
            }
            if f.evidence.count > 8 { s += "    … \(f.evidence.count - 8) more\n" }
        }
        s += "  template: \(c.template ?? "none")\n"
        return s
    }
}
