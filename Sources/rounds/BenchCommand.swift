import ArgumentParser
import Bench
import Console
import Foundation
import IngestPipeline

/// `rounds bench`: the whole benchmark (targets P1-P7), or one part of it, and the
/// synthetic inboxes they run on.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure every performance target on a synthetic inbox (medians, p99, same-run sqlite3 baselines).",
        discussion: "A million messages takes several minutes (ingest dominates). Parts: bench ingest, bench classify, bench generate.",
        subcommands: [BenchAllCommand.self, GenerateCommand.self, BenchIngestCommand.self, BenchClassifyCommand.self, BenchShiftCommand.self, BenchServeCommand.self, BenchDeliverCommand.self],
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

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write a seeded synthetic inbox as Rounds JSON Lines (the same seed, the same file)."
    )

    @Option(help: "How many messages.") var messages: Int = 1_000_000
    @Option(help: "The seed.") var seed: UInt64 = 1
    @Option(name: .shortAndLong, help: "Output file.") var output: String
    @Option(help: "Prefix of the message ids (a second file for the same inbox needs another).") var idPrefix: String = "syn"

    func validate() throws {
        guard messages > 0 else { throw ValidationError("--messages must be positive") }
    }

    func run() throws {
        try SyntheticInbox.write(messages: messages, seed: seed, idPrefix: idPrefix, to: output)
    }
}

struct BenchIngestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Measure ingest (parse, classify, store with FTS, durable) of a synthetic inbox."
    )

    @Option(help: "Messages per run.") var messages: Int = 1_000_000
    @Option(help: "Runs (the median is reported).") var runs: Int = 3
    @Option(help: "Messages per write transaction.") var batch: Int = Ingester.defaultBatchSize
    @Option(help: "Policies folder (else $ROUNDS_POLICIES or the default).") var policies: String?
    @Flag(help: "Store without classifying.") var noClassify = false
    @Flag(help: "Only read and parse (no classification, no store): isolates the parser.") var parseOnly = false

    func run() throws {
        let set = noClassify || parseOnly ? nil : try PolicyCLI.loadPolicies(policies)
        try IngestBench(messages: messages, runs: runs, batch: batch, policies: set, parseOnly: parseOnly).run()
    }
}

struct BenchClassifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify",
        abstract: "Measure classification speed: msgs/s per core, p99 latency, a 1 MB message, policy load time (medians).")

    @Option(name: .long, help: "Policies directory.") var policies: String?
    @Option(name: .long, help: "Repeated runs; figures are medians over runs.") var runs: Int = 5
    @Option(name: .long, help: "Short messages per run.") var messages: Int = 20000
    @Flag(name: .long, inversion: .prefixedNo, help: "Also time one 1 MB message per run.") var large = true

    func run() throws {
        try ClassifyBench(policies: try PolicyCLI.loadPolicies(policies), runs: runs, messages: messages, large: large).run()
    }
}

struct BenchShiftCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shift",
        abstract: "Simulate one moderator working a queue (for contention tests).",
        shouldDisplay: false
    )

    @OptionGroup var store: StoreOptions
    @Option(name: .customLong("as"), help: "The moderator's name.") var name: String
    @Option(help: "How many actions to take.") var actions: Int = 50
    @Option(help: "Queue to work.") var queue: String = "new"

    func run() throws {
        guard let q = QueueID(rawValue: queue) else { throw ValidationError("unknown queue \(queue)") }
        try ShiftSimulation(inbox: try store.open(), name: name, actions: actions, queue: q).run()
    }
}
