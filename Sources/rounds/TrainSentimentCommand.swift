import ArgumentParser
import Foundation
import InboxModel
import Policy
import Store

/// `rounds policy train-sentiment`: trains the sentiment model from labelled reviews and writes
/// its weights where sentiment.yml says. The same data and settings give the same file.
struct PolicyTrainSentimentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-sentiment",
        abstract: "Train the sentiment model from labelled reviews (reviews.jsonl and dev.jsonl) and write its weights.",
        discussion: """
            Reads every row with a "sentiment" of positive or negative from DATA/reviews.jsonl and \
            DATA/dev.jsonl, learns from the text alone, prints the 5-fold cross-validated accuracy per \
            language, and writes the file named by `model.file` in sentiment.yml. With --check it writes \
            nothing and fails when the file differs from what the data gives.
            """)

    @Option(name: .long, help: "Policies directory (default: $ROUNDS_POLICIES or the checkout's Policies/).")
    var policies: String?
    @Option(name: .long, help: "Folder with reviews.jsonl and dev.jsonl.")
    var data = "../shared/data"
    @Flag(name: .long, help: "Train, compare with the weights file, write nothing; exit 1 when they differ.")
    var check = false

    static let dataFiles = ["reviews.jsonl", "dev.jsonl"]

    func run() throws {
        let dir = try PolicyCLI.directory(policies)
        let set = try PolicyCLI.reportingPolicyErrors { try PolicySet.load(from: dir, sentimentModel: false) }
        guard let (settings, file) = set.sentimentTraining else {
            throw UserError("Policies/sentiment.yml names no model (model.file): nothing to train")
        }
        var examples: [SentimentExample] = []
        var provenance: [String] = []
        for name in Self.dataFiles {
            let url = URL(fileURLWithPath: data).appendingPathComponent(name)
            guard let bytes = FileManager.default.contents(atPath: url.path) else {
                throw UserError("\(url.path): cannot read the training data (pass --data DIR, the folder with \(Self.dataFiles.joined(separator: " and ")))")
            }
            let rows = try Self.labelledRows(bytes, file: url.path)
            examples += rows
            provenance.append("data: \(name), \(rows.count) labelled rows, sha256 \(InboxDigest.sha256Hex(bytes))")
        }
        let result = SentimentTrainer.train(examples, policies: set, settings: settings, provenance: provenance)
        for (lang, cv) in result.crossValidated.sorted(by: { $0.key < $1.key }) {
            print("\(lang): \(cv.count) texts, \(result.features[lang] ?? 0) features, 5-fold cross-validated accuracy \(String(format: "%.3f", cv.accuracy))")
        }
        let out = set.directory.appendingPathComponent(file)
        if check {
            let current = FileManager.default.contents(atPath: out.path).flatMap { String(data: $0, encoding: .utf8) }
            guard current == result.fileText else {
                throw UserError("Policies/\(file) differs from what the data and settings give: run `rounds policy train-sentiment` and commit the result")
            }
            print("Policies/\(file) is what the data and settings give")
            return
        }
        try FileManager.default.createDirectory(at: out.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(result.fileText.utf8).write(to: out, options: .atomic)
        print("wrote Policies/\(file)")
    }

    /// `{"text", "sentiment": "positive" | "negative"}` rows; others are skipped, a broken line
    /// is an error naming its line.
    static func labelledRows(_ bytes: Data, file: String) throws -> [SentimentExample] {
        var out: [SentimentExample] = []
        for (n, line) in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
            guard let obj = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
                throw UserError("\(file):\(n + 1): not a JSON object")
            }
            guard let s = obj["sentiment"] as? String, s == "positive" || s == "negative" else { continue }
            guard let text = obj["text"] as? String else { throw UserError("\(file):\(n + 1): a labelled row without \"text\"") }
            out.append(SentimentExample(text: text, positive: s == "positive"))
        }
        return out
    }
}
