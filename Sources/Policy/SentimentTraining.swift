import Foundation

/// How the sentiment model is trained: `model:` in sentiment.yml.
public struct SentimentTrainingSettings: Sendable, Equatable {
    /// A word or pair must occur in at least this many training texts of its language.
    public var minDocs = 3
    /// L2 penalty per update: small weights generalise to texts the model has not seen.
    public var l2 = 0.001
    public var epochs = 20
    public var learningRate = 0.05
    /// Smaller weights are dropped: a smaller table stays in cache, and they decide little.
    public var minWeight = 0.005
    /// Topic words that must not carry sentiment (hotel words from the Spanish training data
    /// mean nothing in a clinic's inbox): neither they nor pairs with them become features.
    public var ignore: [String] = []

    /// The line the weights file records, to tell a stale model from a current one.
    public var summary: String {
        "min_docs=\(minDocs) l2=\(l2) epochs=\(epochs) learning_rate=\(learningRate) min_weight=\(minWeight) ignore=\(ignore.count)"
    }
}

/// One labelled training text.
public struct SentimentExample: Sendable {
    public var text: String
    public var positive: Bool
    public init(text: String, positive: Bool) {
        self.text = text
        self.positive = positive
    }
}

/// What training produced: the weights file's text and held-out accuracy per language.
public struct SentimentTrainingResult: Sendable {
    public var fileText: String
    /// Language -> (texts, accuracy of the sign of the log-odds in 5-fold cross-validation).
    public var crossValidated: [String: (count: Int, accuracy: Double)]
    public var features: [String: Int]
}

/// Logistic regression by stochastic gradient descent in a fixed order: the same data and
/// settings give the same weights, digit for digit.
public enum SentimentTrainer {
    struct Doc { var features: [Int32: Double]; var lexicon: Double; var y: Double }

    public static func train(_ examples: [SentimentExample], policies: PolicySet, settings: SentimentTrainingSettings,
                             provenance: [String]) -> SentimentTrainingResult {
        let box = PolicyBox(policies)
        // the language and features each text has at classification time
        var byLanguage: [String: [(features: [String], lexicon: Double, y: Double)]] = [:]
        for ex in examples {
            var a = Analysis(box: box, text: ex.text)
            a.detectLanguage()
            a.scan()
            let lex = a.sentimentScores().compound
            byLanguage[a.language, default: []].append((SentimentFeatures.strings(a.tk.tokens), lex, ex.positive ? 1 : 0))
        }
        let ignored = Set(settings.ignore.flatMap { termTokens($0) })
        var lines: [String] = []
        var cv: [String: (count: Int, accuracy: Double)] = [:]
        var featureCounts: [String: Int] = [:]
        for (lang, rows) in byLanguage.sorted(by: { $0.key < $1.key }) {
            // vocabulary: features in enough texts, without ignored topic words
            var df: [String: Int] = [:]
            for r in rows { for f in Set(r.features) { df[f, default: 0] += 1 } }
            // function words alone ("and", "she is") say nothing a moderator could check; with a
            // word of content they do ("not good", "no volveremos")
            let stop = policies.stopwords[lang] ?? []
            let vocab = df.filter { f, n in
                let words = f.split(separator: " ").map(String.init)
                return n >= settings.minDocs && !words.contains { ignored.contains($0) } && !words.allSatisfy { stop.contains($0) }
            }.keys.sorted()
            var index: [String: Int32] = [:]
            for (i, f) in vocab.enumerated() { index[f] = Int32(i) }
            let docs = rows.map { r -> Doc in
                var c: [Int32: Double] = [:]
                for f in r.features { if let i = index[f] { c[i, default: 0] += 1 } }
                return Doc(features: c, lexicon: r.lexicon, y: r.y)
            }
            // 5-fold cross-validation: the accuracy to expect on texts the model has not seen
            var right = 0
            for fold in 0..<5 {
                let train = docs.indices.filter { $0 % 5 != fold }.map { docs[$0] }
                let m = fit(train, featureCount: vocab.count, settings).pruned(settings.minWeight)
                for k in docs.indices where k % 5 == fold {
                    if (predict(m, docs[k]) >= 0) == (docs[k].y == 1) { right += 1 }
                }
            }
            cv[lang] = (docs.count, Double(right) / Double(max(docs.count, 1)))
            let m = fit(docs, featureCount: vocab.count, settings).pruned(settings.minWeight)
            lines.append("\(lang) | _bias | \(format(m.bias))")
            lines.append("\(lang) | _lexicon | \(format(m.lexicon))")
            var kept = 0
            for (i, f) in vocab.enumerated() where m.w[i] != 0 {
                lines.append("\(lang) | \(f) | \(format(m.w[i]))")
                kept += 1
            }
            featureCounts[lang] = kept
        }
        var header = [
            "# Rounds sentiment model: logistic regression over words and adjacent word pairs (counts),",
            "# plus the lexicon's compound score (_lexicon). Log-odds > 0 reads as positive.",
            "# Written by `rounds policy train-sentiment`; do not edit by hand unless you mean to: a",
            "# weight may be changed or a line removed, and `rounds policy check` runs the examples.",
            "# settings: \(settings.summary)",
        ]
        header += provenance.map { "# " + $0 }
        for (lang, r) in cv.sorted(by: { $0.key < $1.key }) {
            header.append("# \(lang): \(r.count) texts, \(featureCounts[lang] ?? 0) features, 5-fold cross-validated accuracy \(String(format: "%.3f", r.accuracy))")
        }
        header.append("# language | feature | weight")
        return SentimentTrainingResult(fileText: (header + lines).joined(separator: "\n") + "\n", crossValidated: cv, features: featureCounts)
    }

    struct Fit {
        var bias = 0.0, lexicon = 0.0
        var w: [Double]
        /// As written to the file: four decimals, and no weight under `minWeight`.
        func pruned(_ minWeight: Double) -> Fit {
            var f = self
            f.w = w.map { v in let r = (v * 10_000).rounded() / 10_000; return abs(r) >= minWeight ? r : 0 }
            return f
        }
    }

    static func predict(_ m: Fit, _ d: Doc) -> Double {
        var z = m.bias + m.lexicon * d.lexicon
        for (i, c) in d.features { z += m.w[Int(i)] * c }
        return z
    }

    static func fit(_ docs: [Doc], featureCount: Int, _ s: SentimentTrainingSettings) -> Fit {
        var m = Fit(w: Array(repeating: 0, count: featureCount))
        // a fixed pseudo-random order per epoch (a linear congruential generator, seed 1)
        var order = Array(docs.indices)
        var seed: UInt64 = 1
        // features in a fixed order per document (dictionary order differs between runs)
        let sorted = docs.map { $0.features.sorted { $0.key < $1.key } }
        for epoch in 0..<s.epochs {
            for k in stride(from: order.count - 1, to: 0, by: -1) {
                seed = seed &* 6364136223846793005 &+ 1442695040888963407
                order.swapAt(k, Int((seed >> 33) % UInt64(k + 1)))
            }
            let rate = s.learningRate / (1 + Double(epoch) * 0.2)
            for k in order {
                let d = docs[k]
                var z = m.bias + m.lexicon * d.lexicon
                for (i, c) in sorted[k] { z += m.w[Int(i)] * c }
                let p = 1 / (1 + exp(-max(-30, min(30, z))))
                let g = p - d.y
                m.bias -= rate * g
                m.lexicon -= rate * (g * d.lexicon + s.l2 * m.lexicon)
                for (i, c) in sorted[k] { m.w[Int(i)] -= rate * (g * c + s.l2 * m.w[Int(i)]) }
            }
        }
        return m
    }

    static func format(_ v: Double) -> String { String(format: "%.4f", v) }
}
