import Dispatch
import Foundation
import InboxModel

/// Very long texts (no platform accepts them; they come from abuse or broken exports) are cut
/// into segments at sentence or word boundaries, classified on every core at once, and the
/// results merged: every part of the text is still read, and the latency stays bounded.
extension Classifier {
    /// Texts longer than this many UTF-8 bytes take the segmented path. Facebook's longest post
    /// (63,206 characters, at most four bytes each) stays below it: real messages are read whole.
    public static let segmentedAbove = 256 * 1024
    /// Bytes per segment.
    public static let segmentBytes = 64 * 1024

    /// `utf8` is the whole text; evidence spans come back in scalars of the whole text.
    func classifySegmented(_ utf8: [UInt8], kind: MessageKind?, rating: Int?) -> Classification {
        let cuts = Classifier.segmentBoundaries(utf8, size: Classifier.segmentBytes)
        final class Results: @unchecked Sendable {
            var items: [Classification?]
            /// Scalars in each segment (counted in the parallel part: a serial pass over the
            /// whole text added its time to every long message's latency).
            var scalarCounts: [Int]
            init(_ n: Int) { items = Array(repeating: nil, count: n); scalarCounts = Array(repeating: 0, count: n) }
        }
        let results = Results(cuts.count - 1)
        let classifier = self
        // Each iteration writes its own slots only.
        DispatchQueue.concurrentPerform(iterations: cuts.count - 1) { k in
            let part = utf8.withUnsafeBufferPointer { all in
                let segment = UnsafeBufferPointer(rebasing: all[cuts[k]..<cuts[k + 1]])
                results.scalarCounts[k] = Classifier.scalarCount(segment)
                return String(decoding: segment, as: UTF8.self)
            }
            var a = Analysis(box: classifier.box, text: part)
            results.items[k] = a.run(kind: kind, rating: rating)
        }
        // Evidence counts scalars: a segment starts after the scalars of those before it.
        var offsets: [Int] = []
        var scalars = 0
        for count in results.scalarCounts {
            offsets.append(scalars)
            scalars += count
        }
        return merge(Array(zip(results.items.map { $0! }, offsets)), kind: kind, rating: rating)
    }

    /// Unicode scalars in valid UTF-8: the bytes that are not continuation bytes.
    static func scalarCount(_ b: UnsafeBufferPointer<UInt8>) -> Int {
        var n = 0
        for byte in b where byte & 0xC0 != 0x80 { n += 1 }
        return n
    }

    /// Byte offsets where segments start, plus the end: each cut a little before `size` bytes,
    /// after a sentence end if one is near, else after a space, else at the start of a character.
    static func segmentBoundaries(_ s: [UInt8], size: Int) -> [Int] {
        @inline(__always) func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x09 || b == 0x0D }
        var cuts = [0]
        var start = 0
        while s.count - start > size {
            let hard = start + size
            let floor = hard - size / 8
            var cut = hard
            var q = hard - 2  // a cut after "." and a space stays within `size`
            while q > floor {
                let v = s[q]
                if v == 0x0A { cut = q + 1; break }
                if (v == 0x2E || v == 0x21 || v == 0x3F) && isSpace(s[q + 1]) { cut = q + 2; break }
                q -= 1
            }
            if cut == hard {
                q = hard - 1
                while q > floor && !isSpace(s[q]) { q -= 1 }
                if q > floor { cut = q + 1 }
            }
            // never inside a character: back up over continuation bytes
            while cut > start + 1 && s[cut] & 0xC0 == 0x80 { cut -= 1 }
            cuts.append(cut)
            start = cut
        }
        cuts.append(s.count)
        return cuts
    }

    /// One classification from the segments' (each with its first scalar's offset): a flag at
    /// its strongest segment, evidence from all of them in text order (spans shifted back to
    /// the whole text), and the cross-flag rules applied again to the merged flags.
    func merge(_ parts: [(Classification, Int)], kind: MessageKind?, rating: Int?) -> Classification {
        var flags: [FlagHit] = []
        for name in FlagName.allCases {
            let hits = parts.compactMap { c, offset in c.hit(name).map { ($0, offset) } }
            guard var best = hits.max(by: { ($0.0.decision, $0.0.score) < ($1.0.decision, $1.0.score) })?.0 else { continue }
            var evidence: [Evidence] = []
            var seen = Set<EvidenceKey>()
            // only the first 50 are kept: stop there (each segment brings up to 50 of its own)
            collect: for (h, offset) in hits {
                for var e in h.evidence {
                    if evidence.count == 50 { break collect }
                    if e.span != [0, 0] { e.span = e.span.map { $0 + offset } }
                    // the kind's own evidence ("review_feedback.kind", span 0-0) comes once
                    if seen.insert(EvidenceKey(rule: e.rule, span: e.span)).inserted { evidence.append(e) }
                }
            }
            best.evidence = evidence
            if name == .emergency && hits.contains(where: { $0.0.severity == "imminent" }) { best.severity = "imminent" }
            flags.append(best)
        }
        // An emergency raised anywhere keeps its rules over the whole text (see `Analysis.run`).
        if let em = flags.first(where: { $0.flag == .emergency }), em.decision >= .flag {
            let hate = flags.contains { $0.flag == .offensive && $0.category == "hate" }
            for i in flags.indices where flags[i].decision > .review {
                switch flags[i].flag {
                case .symptomQuestion: flags[i].decision = .review
                case .reviewFeedback where kind != .review && rating == nil: flags[i].decision = .review
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

/// Identifies a piece of evidence in `merge` (a string "rule span" made per item cost ~8k
/// instructions, mostly formatting the span).
private struct EvidenceKey: Hashable {
    var rule: String
    var span: [Int]
}
