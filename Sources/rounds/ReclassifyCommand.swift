import ArgumentParser
import Foundation
import Policy
import Store

struct ReclassifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reclassify",
        abstract: "Re-run the current policies over the whole inbox after a policy edit, and report what changed."
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var policy: PolicyOptions

    func run() throws {
        let policies = try policy.load()
        let inbox = try store.open()
        let classifier = Classifier(policies: policies)
        let version = policies.version
        let s = try inbox.reclassify(moderator: Moderator.login, role: "system") { text, platform, kind, rating in
            (classifier.classify(text, platform: platform, kind: kind, rating: rating), version)
        }
        print("reclassified \(s.messages) messages with policy \(version.prefix(12)): \(s.changed) changed")
        for (move, n) in s.laneMoves.sorted(by: { $0.value > $1.value }) {
            print("  \(move): \(n)")
        }
    }
}
