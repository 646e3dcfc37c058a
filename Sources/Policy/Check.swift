import Foundation
import InboxModel

/// The outcome of one example of `Policies/tests`.
public struct ExampleResult: Sendable {
    public var example: PolicyExample
    public var passed: Bool
    /// What the classifier said, in words.
    public var got: String
}

extension PolicySet {
    /// Runs every example of `Policies/tests/*.yml`.
    public func runExamples() throws -> [ExampleResult] {
        let c = Classifier(policies: self)
        return try loadExamples().map { ex in
            let r = c.classify(ex.text, platform: ex.platform, kind: ex.kind, rating: ex.rating)
            let hit = r.hit(ex.flag)
            var ok: Bool
            switch ex.expect {
            case "act": ok = hit?.decision == .act
            case "flag": ok = (hit?.decision ?? .review) >= .flag && hit != nil
            case "review": ok = hit?.decision == .review
            case "not_flag": ok = hit == nil || hit!.decision == .review
            default: ok = hit == nil  // none
            }
            if let s = ex.severity, hit?.severity != s { ok = false }
            if let cat = ex.category, hit?.category != cat { ok = false }
            if let s = ex.sentiment, r.sentiment.rawValue != s { ok = false }
            if let t = ex.template, r.template != t { ok = false }
            let got = hit.map { "\($0.flag.rawValue) \($0.decision.rawValue) score \($0.score) severity \($0.severity ?? "-") category \($0.category ?? "-")" } ?? "no \(ex.flag.rawValue)"
            return ExampleResult(example: ex, passed: ok, got: got + "; sentiment \(r.sentiment.rawValue); template \(r.template ?? "none")")
        }
    }

    /// Checks that go beyond decoding: template placeholders and every template through the reply guard.
    public func lint() -> [PolicyError] {
        var errs: [PolicyError] = []
        let g = ReplyGuard(policies: self)
        for t in replyTemplates {
            for k in unknownPlaceholders(t.body) {
                errs.append(PolicyError(file: t.file, line: t.line, message: "template '\(t.id)' uses unknown placeholder {{\(k)}}"))
            }
            for platform in [Platform.facebook, .gbp, .instagram, .messenger] {
                for v in g.check(reply: render(t.body), original: "", authorName: nil, platform: platform, isPublic: true) {
                    errs.append(PolicyError(file: t.file, line: t.line, message: "template '\(t.id)' fails the reply guard on \(platform.label): \(v.message)"))
                }
            }
        }
        for f in FlagName.allCases where !replyTemplates.contains(where: { $0.flag == f }) && ![.spam, .misinformation].contains(f) {
            errs.append(PolicyError(file: "Policies/templates", line: 0, message: "no template for flag '\(f.rawValue)'"))
        }
        return errs
    }
}
