import ArgumentParser
import Foundation
import Ingest
import Store

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
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rounds-bench-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("inbox.jsonl").path
        let gen = try GenerateCommand.parse(["--messages", "\(messages)", "-o", input])
        try gen.run()
        var rates: [Double] = []
        var maxTxn: [Double] = []
        if parseOnly {
            for _ in 1...runs {
                guard let handle = FileHandle(forReadingAtPath: input) else { throw UserError("cannot read \(input)") }
                let t0 = Date()
                var n = 0
                try IngestReader(name: "inbox.jsonl", handle: handle, format: .jsonl).read { _ in n += 1 }
                print(String(format: "parse: %.0f msg/s", Double(n) / Date().timeIntervalSince(t0)))
            }
            return
        }
        for run in 1...runs {
            let db = dir.appendingPathComponent("run\(run).sqlite").path
            let inbox = try InboxDatabase(path: db)
            var ingester = Ingester(inbox: inbox, batchSize: batch, detailedTimings: true)
            if !noClassify { ingester.classify = IngestClassifier.make(try PolicyCLI.loadPolicies(policies)) }
            guard let handle = FileHandle(forReadingAtPath: input) else { throw UserError("cannot read \(input)") }
            let t0 = Date()
            try ingester.ingest(IngestReader(name: "inbox.jsonl", handle: handle, format: .jsonl))
            try ingester.finish()
            let seconds = Date().timeIntervalSince(t0)
            rates.append(Double(messages) / seconds)
            maxTxn.append(ingester.slowestFlushMs)
            let slowest = ingester.slowestTransaction?.timing ?? WriteTiming(ms: 0)
            print(String(format: "run %d: %.0f msg/s, %d write transactions, p99 %.1f ms, slowest %.1f ms (%.1f on a CPU, %.1f waiting for one, %.1f blocked; %.0f stolen by the hypervisor); writer thread %.1f µs CPU per message",
                         run, Double(messages) / seconds, ingester.transactions.count, ingester.p99FlushMs, slowest.ms, slowest.cpuMs, slowest.queuedMs, slowest.blockedMs, slowest.stolenMs,
                         ingester.writerCPUSeconds / Double(messages) * 1e6))
        }
        print(String(format: "ingest: median %.0f msg/s over %d runs of %d messages; slowest write transaction median %.1f ms",
                     median(rates), runs, messages, median(maxTxn)))
    }
}

func median(_ xs: [Double]) -> Double {
    guard !xs.isEmpty else { return 0 }
    let s = xs.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}
