import Foundation
import Ingest
import IngestPipeline
import Policy
import Store

/// `rounds bench ingest`: ingest of a synthetic inbox (parse, classify, store with FTS,
/// durable), each transaction's time split into its parts.
public struct IngestBench {
    public var messages: Int
    public var runs: Int
    public var batch: Int
    /// Nil: store without classifying.
    public var policies: PolicySet?
    /// Only read and parse (no classification, no store): isolates the parser.
    public var parseOnly: Bool

    public init(messages: Int, runs: Int, batch: Int, policies: PolicySet?, parseOnly: Bool) {
        self.messages = messages; self.runs = runs; self.batch = batch; self.policies = policies; self.parseOnly = parseOnly
    }

    public func run() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rounds-bench-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("inbox.jsonl").path
        try SyntheticInbox.write(messages: messages, to: input)
        var rates: [Double] = []
        var maxTxn: [Double] = []
        if parseOnly {
            for _ in 1...runs {
                guard let handle = FileHandle(forReadingAtPath: input) else { throw BenchError("cannot read \(input)") }
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
            if let policies { ingester.classify = IngestClassifier.make(policies) }
            guard let handle = FileHandle(forReadingAtPath: input) else { throw BenchError("cannot read \(input)") }
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
