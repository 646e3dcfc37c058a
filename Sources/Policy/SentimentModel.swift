import Foundation

/// A learned sentiment model: logistic regression over the words and adjacent word pairs of a
/// message (counted), plus the lexicon's compound score as one more input. Its weights are a
/// text file in `Policies/` (`language | feature | weight`), written by
/// `rounds policy train-sentiment` and editable like any word list.
struct SentimentModel: Sendable {
    /// One language's weights.
    struct Weights: Sendable {
        var bias = 0.0
        /// Weight of the lexicon's compound score (-1...1).
        var lexicon = 0.0
        /// Word -> word id (tag 0); pair -> feature id under tag `first word id + 1`.
        var table = WordTable(capacity: 1024)
        /// Words longer than a `WordKey`, and pairs with such a word, by text.
        var longFeatures: [String: Int32] = [:]
        /// Weight per id: words first (ids `0..<wordCount`), then pairs. A word that only
        /// begins pairs has weight 0.
        var weights: [Double] = []
        var names: [String] = []

        mutating func add(_ feature: String, _ weight: Double) {
            let parts = splitBytes(Substring(feature), 0x20).filter { !$0.isEmpty }.map(String.init)
            if parts.count == 1 {
                let id = wordID(parts[0], create: true)!
                weights[Int(id)] = weight
            } else {
                let first = wordID(parts[0], create: true)!
                let id = Int32(weights.count)
                weights.append(weight)
                names.append(feature)
                if let k = WordKey(parts[1]) { table.set(k, tag: UInt32(first) + 1, id) } else { longFeatures[feature] = id }
            }
        }

        mutating func wordID(_ w: String, create: Bool) -> Int32? {
            if let k = WordKey(w) {
                if let id = table.find(k) { return id }
                guard create else { return nil }
                let id = Int32(weights.count)
                table.set(k, id)
                weights.append(0)
                names.append(w)
                return id
            }
            if let id = longFeatures[w] { return id }
            guard create else { return nil }
            let id = Int32(weights.count)
            longFeatures[w] = id
            weights.append(0)
            names.append(w)
            return id
        }
    }

    /// The file, as shown in evidence and errors.
    var file: String
    var languages: [String: Weights]
    /// The training settings the file records (`# settings: ...`), compared with sentiment.yml.
    var settings: String

    /// One occurrence of a feature in a text: its id, tokens `[from, to)` and weight.
    struct Occurrence { var id: Int32; var from: Int; var to: Int; var weight: Double }

    /// Calls `body` for every feature of the text the model knows: each word, and each pair of
    /// adjacent words in the same sentence. Training enumerates features the same way
    /// (`SentimentFeatures.strings`), so what is learned is what is looked up.
    @inline(__always)
    static func forEachFeature(_ w: Weights, _ tokens: [Token], _ body: (Occurrence) -> Void) {
        // fields read in place: a copy of each token retained and released its text
        tokens.withUnsafeBufferPointer { ts in
            var prev: Int32 = -1
            for i in ts.indices {
                let key = ts[i].key
                let id: Int32? = key.isNone ? w.longFeatures[ts[i].text] : w.table.find(key)
                if prev >= 0 && ts[i - 1].sentence == ts[i].sentence {
                    let pid: Int32? = key.isNone ? w.longFeatures[w.names[Int(prev)] + " " + ts[i].text] : w.table.find(key, tag: UInt32(prev) + 1)
                    if let p = pid { body(Occurrence(id: p, from: i - 1, to: i + 1, weight: w.weights[Int(p)])) }
                }
                if let id { body(Occurrence(id: id, from: i, to: i + 1, weight: w.weights[Int(id)])) }
                prev = id ?? -1
            }
        }
    }

    /// Log-odds that the text is positive.
    func logOdds(_ tokens: [Token], language: String, lexicon compound: Double) -> Double? {
        languages[language].map { SentimentModel.logOdds($0, tokens, lexicon: compound) }
    }

    static func logOdds(_ w: Weights, _ tokens: [Token], lexicon compound: Double) -> Double {
        var z = w.bias + w.lexicon * compound
        forEachFeature(w, tokens) { z += $0.weight }
        return z
    }

    /// The features that pushed the decision most in `direction` (+1 positive, -1 negative),
    /// strongest first, each feature once.
    func strongest(_ tokens: [Token], language: String, direction: Double, count: Int) -> [Occurrence] {
        guard let w = languages[language] else { return [] }
        let both = SentimentModel.strongest(w, tokens, positive: direction > 0 ? count : 0, negative: direction < 0 ? count : 0)
        return direction > 0 ? both.positive : both.negative
    }

    /// The `positive` strongest features for and the `negative` strongest against, strongest
    /// first, each feature once, in one pass over the text.
    static func strongest(_ w: Weights, _ tokens: [Token], positive: Int, negative: Int) -> (positive: [Occurrence], negative: [Occurrence]) {
        var up: [Occurrence] = [], down: [Occurrence] = []
        func keep(_ best: inout [Occurrence], _ o: Occurrence, _ count: Int) {
            guard count > 0, !best.contains(where: { $0.id == o.id }) else { return }
            // the list stays sorted and short: insert in place, drop the weakest
            let i = best.firstIndex { abs($0.weight) < abs(o.weight) } ?? best.count
            guard i < count else { return }
            best.insert(o, at: i)
            if best.count > count { best.removeLast() }
        }
        forEachFeature(w, tokens) { o in
            if o.weight > 0 { keep(&up, o, positive) } else if o.weight < 0 { keep(&down, o, negative) }
        }
        return (up, down)
    }
}

/// One language's model as the classifier reads it for every message: behind one reference (a
/// copy of its tables per message retained each of them), with its evidence names made once.
final class SentimentModelLanguage: Sendable {
    let weights: SentimentModel.Weights
    /// The model's file, and the rule names its evidence and the lexicon's carry.
    let file, modelRule, lexiconRule: String

    init?(_ model: SentimentModel?, _ language: String) {
        guard let model, let w = model.languages[language] else { return nil }
        (weights, file, modelRule, lexiconRule) = (w, model.file, "sentiment.model.\(language)", "sentiment.\(language)")
    }
}

/// Feature strings as training sees them: the same enumeration as `SentimentModel.forEachFeature`.
enum SentimentFeatures {
    static func strings(_ tokens: [Token]) -> [String] {
        var out: [String] = []
        out.reserveCapacity(tokens.count * 2)
        for i in tokens.indices {
            if i > 0 && tokens[i - 1].sentence == tokens[i].sentence { out.append(tokens[i - 1].text + " " + tokens[i].text) }
            out.append(tokens[i].text)
        }
        return out
    }
}

extension SentimentModel {
    /// Parses a weights file: `#` comments, `language | feature | weight` lines, where feature is
    /// a word, two words, `_bias` or `_lexicon`. Errors name the file and line.
    static func parse(_ text: String, display: String, languages known: Set<String>) throws -> SentimentModel {
        var model = SentimentModel(file: display, languages: [:], settings: "")
        var seen: [String: Int] = [:]
        // lines and columns split on bytes: splitting on characters segmented every grapheme
        for (n, raw) in splitBytes(Substring(text), 0x0A).enumerated() {
            let line = n + 1
            let s = trimmedSpaces(raw)
            if s.hasPrefix("# settings:") { model.settings = String(trimmedSpaces(s.dropFirst("# settings:".count))) }
            if s.isEmpty || s.hasPrefix("#") { continue }
            let cols = splitBytes(s, 0x7C).map(trimmedSpaces)
            guard cols.count == 3 else {
                throw PolicyError(file: display, line: line, message: "expected 'language | feature | weight', found \(cols.count) columns")
            }
            let (lang, feature) = (String(cols[0]), String(cols[1]))
            guard known.contains(lang) else {
                throw PolicyError(file: display, line: line, message: "language '\(lang)' is not in sentiment.yml (expected one of \(known.sorted().joined(separator: ", ")))")
            }
            guard let weight = Double(cols[2]), weight.isFinite, abs(weight) <= 100 else {
                throw PolicyError(file: display, line: line, message: "weight '\(cols[2])' is not a number between -100 and 100")
            }
            let words = splitBytes(Substring(feature), 0x20).filter { !$0.isEmpty }
            guard !feature.isEmpty, words.count <= 2, isLowercase(feature) else {
                throw PolicyError(file: display, line: line, message: "feature '\(feature)' must be one or two lowercase words, _bias or _lexicon")
            }
            if let first = seen[lang + "|" + feature] {
                throw PolicyError(file: display, line: line, message: "feature '\(feature)' for '\(lang)' is listed twice (first at line \(first))")
            }
            seen[lang + "|" + feature] = line
            // in place: a copy of the language's tables per line made loading quadratic
            switch feature {
            case "_bias": model.languages[lang, default: Weights()].bias = weight
            case "_lexicon": model.languages[lang, default: Weights()].lexicon = weight
            default: model.languages[lang, default: Weights()].add(feature, weight)
            }
        }
        return model
    }
}

/// `s` cut at every `separator` byte (an ASCII character), empty pieces kept.
func splitBytes(_ s: Substring, _ separator: UInt8) -> [Substring] {
    var out: [Substring] = []
    let u = s.utf8
    var start = u.startIndex
    while let end = u[start...].firstIndex(of: separator) {
        out.append(s[start..<end])
        start = u.index(after: end)
    }
    out.append(s[start...])
    return out
}

/// `s` without spaces, tabs and carriage returns at either end (a weights file has thousands of
/// lines: Foundation's trimming was most of the time spent loading it).
func trimmedSpaces(_ s: Substring) -> Substring {
    let u = s.utf8
    var a = u.startIndex, b = u.endIndex
    func space(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0D }
    while a < b && space(u[a]) { a = u.index(after: a) }
    while a < b && space(u[u.index(before: b)]) { b = u.index(before: b) }
    return s[a..<b]
}

/// Whether `s` has no uppercase letters (without building its lowercase copy when it is ASCII).
private func isLowercase(_ s: String) -> Bool {
    s.utf8.allSatisfy { $0 < 0x80 } ? !s.utf8.contains { $0 >= 0x41 && $0 <= 0x5A } : s == s.lowercased()
}
