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
        let inbox = try store.open()
        let published = try PublishedPolicies.folder(inbox, option: policy.policies)
        defer { PublishedPolicies.cleanUp(published) }
        let policies = try published.map { try PolicyCLI.loadPolicies($0.path) } ?? policy.load()
        try TeamFile.adoptOnce(inbox, policies: policies.directory)
        guard try inbox.role(of: Moderator.login) == .lead else {
            try TeamFile.recordRefusal(inbox, login: Moderator.login, what: "reclassify")
            throw UserError("only a lead may reclassify the inbox; \(Moderator.login) is not a lead of it (rounds team lists the team)")
        }
        let classifier = Classifier(policies: policies)
        let version = policies.version
        let s = try inbox.reclassify(moderator: Moderator.login, role: "lead") { text, platform, kind, rating in
            (classifier.classify(text, platform: platform, kind: kind, rating: rating), version)
        }
        print("reclassified \(s.messages) messages with policy \(version.prefix(12)): \(s.changed) changed")
        for (move, n) in s.laneMoves.sorted(by: { $0.value > $1.value }) {
            print("  \(move): \(n)")
        }
    }
}
