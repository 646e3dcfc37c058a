import ArgumentParser
import Foundation

/// `rounds bench`: the whole benchmark (targets P1-P7), or one part of it, and the
/// synthetic inboxes they run on.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure every performance target on a synthetic inbox (medians, p99, same-run sqlite3 baselines).",
        discussion: "A million messages takes several minutes (ingest dominates). Parts: bench ingest, bench classify, bench generate.",
        subcommands: [BenchAllCommand.self, GenerateCommand.self, BenchIngestCommand.self, BenchClassifyCommand.self, BenchShiftCommand.self],
        // `rounds bench --messages N` runs everything; the parts keep their own --messages.
        defaultSubcommand: BenchAllCommand.self
    )
}

struct BenchAllCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "all",
        abstract: "Every target, P1-P7 (the default: `rounds bench` alone runs this)."
    )

    @Option(help: "Messages in the inbox.") var messages: Int = 1_000_000
    @Option(help: "Runs per figure (medians).") var runs: Int = 3
    @Flag(help: "Print one JSON object instead of the table.") var json = false
    @Flag(help: ArgumentHelp("Small side workloads, to prove the benchmark runs.", visibility: .hidden)) var quick = false
    @OptionGroup var policy: PolicyOptions

    func validate() throws {
        guard messages >= 500 else { throw ValidationError("--messages must be at least 500") }
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
    }

    func run() throws {
        var suite = BenchSuite(messages: messages, runs: runs, policies: try policy.load()) { line in
            FileHandle.standardError.write(Data("bench: \(line)\n".utf8))
        }
        suite.quick = quick
        try suite.run()
        if json {
            var fields = suite.json
            fields["messages"] = Double(messages)
            let body = fields.sorted { $0.key < $1.key }.map { "\"\($0.key)\": \(($0.value * 1000).rounded() / 1000)" }.joined(separator: ", ")
            print("{" + body + "}")
        } else {
            print("rounds bench: \(messages) messages, \(runs) runs, \(ProcessInfo.processInfo.activeProcessorCount) cores")
            print(suite.table(), terminator: "")
        }
    }
}
