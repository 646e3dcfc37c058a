import ArgumentParser
import Foundation
import InboxModel
import Policy
import Store

struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Check policies, publish them into the inbox (leads), and see what was published.",
        subcommands: [PolicyCheckCommand.self, PolicyPublishCommand.self, PolicyShowCommand.self, PolicyDiffCommand.self, PolicyTrainSentimentCommand.self])
}

struct PolicyCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate every policy file and run the examples in Policies/tests.")

    @Option(name: .long, help: "Policies directory (default: $ROUNDS_POLICIES or the checkout's Policies/).")
    var policies: String?

    func run() throws {
        let started = Date()
        let set = try PolicyCLI.loadPolicies(policies)
        let ms = Date().timeIntervalSince(started) * 1000
        print("policies \(set.directory.path), version \(set.version), \(set.files.count) files, loaded in \(String(format: "%.1f", ms)) ms")
        if !Self.check(set) { throw ExitCode(1) }
    }

    /// Lints, reads team.yml, runs the examples; prints every failure. True when all pass.
    static func check(_ set: PolicySet) -> Bool {
        var failures = 0
        for e in set.lint() {
            print("FAIL \(e.description)")
            failures += 1
        }
        // team.yml is only imported now (rounds team import); a broken one still shows up here.
        let teamFile = set.directory.appendingPathComponent("team.yml")
        if let data = FileManager.default.contents(atPath: teamFile.path), String(data: data, encoding: .utf8) == nil {
            print("FAIL Policies/team.yml:1: not UTF-8 text (everyone would get a read-only console)")
            failures += 1
        } else {
            do {
                _ = try Team.load(from: set.directory)
            } catch let e as PolicyError {
                print(UntrustedText.line("FAIL \(e.description)"))
                failures += 1
            } catch {
                print(UntrustedText.line("FAIL Policies/team.yml: \(error)"))
                failures += 1
            }
        }
        let results: [ExampleResult]
        do {
            results = try set.runExamples()
        } catch {
            // a broken examples file is a policy problem like any other, with its file and line
            print(UntrustedText.line("FAIL \((error as? PolicyError)?.description ?? "\(error)")"))
            return false
        }
        let failed = results.filter { !$0.passed }
        for r in failed {
            let ex = r.example
            let extra = [ex.severity.map { "severity \($0)" }, ex.category.map { "category \($0)" }, ex.sentiment.map { "sentiment \($0)" }, ex.template.map { "template \($0)" }].compactMap { $0 }.joined(separator: ", ")
            print("FAIL \(ex.file):\(ex.line): expected \(ex.flag.rawValue) \(ex.expect)\(extra.isEmpty ? "" : " (\(extra))"), got \(r.got)\n     \(UntrustedText.line(String(ex.text.prefix(160))))")
        }
        print("\(results.count) examples, \(results.count - failed.count) passed, \(failed.count) failed; \(failures) policy problems")
        return failures == 0 && failed.isEmpty
    }
}

/// `rounds policy publish`: a lead puts a checked policy set into the inbox; from then on the
/// console, ingest and reclassification use it.
struct PolicyPublishCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract: "Check the policies and publish them into the inbox (leads; audited with what changed).")

    @OptionGroup var store: StoreOptions
    @Option(name: .long, help: "Policies directory (default: $ROUNDS_POLICIES or the checkout's Policies/).")
    var policies: String?

    func run() throws {
        let set = try PolicyCLI.loadPolicies(policies)
        guard PolicyCheckCommand.check(set) else { throw UserError("not published: fix the failures above first") }
        let inbox = try store.open()
        let files = try PublishedPolicies.read(set.directory)
        let previous = try inbox.policyVersionInForce().flatMap { try inbox.policyFiles(version: $0)?.files } ?? []
        let summary = PublishedPolicies.summary(from: previous, to: files)
        let published = try TeamCommand.refusing {
            try inbox.publishPolicies(files, version: set.version, summary: summary, by: Moderator.login)
        }
        print(published ? "published \(set.version): \(summary)" : "\(set.version) is already in force")
    }
}

struct PolicyShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "The published versions, or the files of one (--version).")
    @OptionGroup var store: StoreOptions
    @Option(name: .long, help: "A version (or a unique start of one).") var version: String?

    func run() throws {
        let inbox = try store.open()
        guard let version else {
            let all = try inbox.policyVersions()
            if all.isEmpty { print("no policies published in this inbox; a lead runs rounds policy publish") }
            let iso = ISO8601DateFormatter()
            for v in all {
                print("\(v.inForce ? "*" : " ") \(v.version)  \(iso.string(from: v.publishedAt))  \(v.publishedBy)  \(UntrustedText.line(v.summary))")
            }
            return
        }
        guard let (full, files) = try inbox.policyFiles(version: version) else { throw UserError("no published version '\(version)'") }
        print("version \(full): \(files.count) files")
        for f in files { print("  \(InboxDigest.sha256Hex(f.bytes).prefix(16))  \(f.bytes.count) bytes  \(UntrustedText.line(f.path))") }
    }
}

struct PolicyDiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff", abstract: "What changed between two published versions, line by line.")
    @OptionGroup var store: StoreOptions
    @Argument(help: "The older version.") var from: String
    @Argument(help: "The newer version.") var to: String

    func run() throws {
        let inbox = try store.open()
        guard let old = try inbox.policyFiles(version: from) else { throw UserError("no published version '\(from)'") }
        guard let new = try inbox.policyFiles(version: to) else { throw UserError("no published version '\(to)'") }
        print(PublishedPolicies.summary(from: old.files, to: new.files))
        let before = PublishedPolicies.byPath(old.files)
        for f in new.files where before[f.path] != f.bytes {
            let a = before[f.path].map { String(decoding: $0, as: UTF8.self).components(separatedBy: "\n") } ?? []
            let b = String(decoding: f.bytes, as: UTF8.self).components(separatedBy: "\n")
            print("--- \(UntrustedText.line(f.path))")
            for change in b.difference(from: a) {
                switch change {
                case .remove(let i, let line, _): print("- \(i + 1): \(UntrustedText.line(line))")
                case .insert(let i, let line, _): print("+ \(i + 1): \(UntrustedText.line(line))")
                }
            }
        }
        let after = Set(new.files.map(\.path))
        for f in old.files where !after.contains(f.path) { print("--- \(UntrustedText.line(f.path)) (removed)") }
    }
}
