import Dispatch
import Foundation
import InboxModel

/// Very long texts (no platform accepts them; they come from abuse or broken exports) are cut
/// into segments at sentence or word boundaries, classified on every core at once, and the
/// results merged: every part of the text is still read, and the latency stays bounded.
extension Classifier {
    /// Texts longer than this many scalars take the segmented path. Facebook's longest post
    /// (63,206 characters) stays below it, so real messages are read in one piece.
    public static let segmentScalars = 64 * 1024

    func classifySegmented(_ scalars: [Unicode.Scalar], kind: MessageKind?, rating: Int?) -> Classification {
        let cuts = Classifier.segmentBoundaries(scalars, size: Classifier.segmentScalars)
        // Each segment's text is cut from the UTF-8 at the same places (appending scalars to a
        // string one by one cost more than classifying them).
        var utf8: [UInt8] = []
        utf8.reserveCapacity(scalars.count + scalars.count / 4)
        var byteCuts: [Int] = []
        var next = 0
        for (i, sc) in scalars.enumerated() {
            if i == cuts[next] { byteCuts.append(utf8.count); next += 1 }
            appendUTF8(sc.value, to: &utf8)
        }
        byteCuts.append(utf8.count)
        final class Results: @unchecked Sendable {
            var items: [Classification?]
            init(_ n: Int) { items = Array(repeating: nil, count: n) }
        }
        let results = Results(cuts.count - 1)
        let classifier = self
        let bytes = utf8, byteRanges = byteCuts
        // Each iteration writes its own slot only.
        DispatchQueue.concurrentPerform(iterations: cuts.count - 1) { k in
            let part = bytes.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[byteRanges[k]..<byteRanges[k + 1]]), as: UTF8.self) }
            var a = Analysis(box: classifier.box, text: part)
            results.items[k] = a.run(kind: kind, rating: rating)
        }
        let parts = zip(results.items.map { $0! }, cuts.dropLast())
        return merge(Array(parts), kind: kind)
    }

    /// Segment starts, plus the end: each cut a little before `size` scalars, after a sentence end
    /// if one is near, else after a space, else exactly there.
    static func segmentBoundaries(_ s: [Unicode.Scalar], size: Int) -> [Int] {
        var cuts = [0]
        var start = 0
        while s.count - start > size {
            let hard = start + size
            let floor = hard - size / 8
            var cut = hard
            var q = hard - 2  // a cut after "." and a space stays within `size`
            while q > floor {
                let v = s[q].value
                if v == 0x0A { cut = q + 1; break }
                if (v == 0x2E || v == 0x21 || v == 0x3F) && s[q + 1].properties.isWhitespace { cut = q + 2; break }
                q -= 1
            }
            if cut == hard {
                q = hard - 1
                while q > floor && !s[q].properties.isWhitespace { q -= 1 }
                if q > floor { cut = q + 1 }
            }
            cuts.append(cut)
            start = cut
        }
        cuts.append(s.count)
        return cuts
    }

    /// One classification from the segments' (each with its first scalar's offset): a flag at
    /// its strongest segment, evidence from all of them in text order (spans shifted back to
    /// the whole text), and the cross-flag rules applied again to the merged flags.
    func merge(_ parts: [(Classification, Int)], kind: MessageKind?) -> Classification {
        var flags: [FlagHit] = []
        for name in FlagName.allCases {
            let hits = parts.compactMap { c, offset in c.hit(name).map { ($0, offset) } }
            guard var best = hits.max(by: { ($0.0.decision, $0.0.score) < ($1.0.decision, $1.0.score) })?.0 else { continue }
            var evidence: [Evidence] = []
            var seen = Set<String>()
            for (h, offset) in hits {
                for var e in h.evidence {
                    if e.span != [0, 0] { e.span = e.span.map { $0 + offset } }
                    // the kind's own evidence ("review_feedback.kind", span 0-0) comes once
                    if seen.insert("\(e.rule) \(e.span)").inserted { evidence.append(e) }
                }
            }
            best.evidence = Array(evidence.prefix(50))
            if name == .emergency && hits.contains(where: { $0.0.severity == "imminent" }) { best.severity = "imminent" }
            flags.append(best)
        }
        // An emergency raised anywhere keeps its rules over the whole text (see `Analysis.run`).
        if let em = flags.first(where: { $0.flag == .emergency }), em.decision >= .flag {
            let hate = flags.contains { $0.flag == .offensive && $0.category == "hate" }
            for i in flags.indices where flags[i].decision > .review {
                switch flags[i].flag {
                case .symptomQuestion: flags[i].decision = .review
                case .reviewFeedback where kind != .review: flags[i].decision = .review
                case .offensive where !hate: flags[i].decision = .review
                default: break
                }
            }
        }
        let sentiments = Set(parts.map(\.0.sentiment)).subtracting([.neutral])
        let sentiment: Sentiment = sentiments.count == 1 ? sentiments.first! : (sentiments.isEmpty ? .neutral : .mixed)
        var languages: [String: Int] = [:]
        for (c, _) in parts { languages[c.language, default: 0] += 1 }
        let first = parts.first?.0.language ?? "en"
        let language = languages.max { ($0.value, $0.key == first ? 1 : 0) < ($1.value, $1.key == first ? 1 : 0) }?.key ?? first
        var c = Classification(language: language, sentiment: sentiment, flags: flags, template: nil)
        c.template = PolicySet.recommendedTemplateID(in: box.p.replyTemplates, for: c, kind: kind ?? .comment)
        return c
    }
}
