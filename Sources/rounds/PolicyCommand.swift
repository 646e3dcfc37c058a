import ArgumentParser
import Foundation
import InboxModel
import Policy

struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Work with the policies in Policies/.",
        subcommands: [PolicyCheckCommand.self])
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
        var failures = 0
        for e in set.lint() {
            print("FAIL \(e.description)")
            failures += 1
        }
        // team.yml is read by the console only; a broken one must show up here, not at the next shift.
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
            }
        }
        let results = set.runExamples()
        let failed = results.filter { !$0.passed }
        for r in failed {
            let ex = r.example
            let extra = [ex.severity.map { "severity \($0)" }, ex.category.map { "category \($0)" }, ex.sentiment.map { "sentiment \($0)" }, ex.template.map { "template \($0)" }].compactMap { $0 }.joined(separator: ", ")
            print("FAIL \(ex.file):\(ex.line): expected \(ex.flag.rawValue) \(ex.expect)\(extra.isEmpty ? "" : " (\(extra))"), got \(r.got)\n     \(UntrustedText.line(String(ex.text.prefix(160))))")
        }
        print("\(results.count) examples, \(results.count - failed.count) passed, \(failed.count) failed; \(failures) policy problems")
        if failures > 0 || !failed.isEmpty { throw ExitCode(1) }
    }
}
