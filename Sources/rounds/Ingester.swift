import Foundation
import InboxModel
import Ingest
import Store

/// Ingest's pipeline: read and classify records on this thread, store them in batches on a
/// writer thread, so parsing and SQLite use both cores.
///
/// A batch is one durable transaction; the counts only include committed batches, so what
/// the summary reports is on disk.
struct Ingester {
    struct Counts: Sendable {
        var new = 0, updated = 0, duplicates = 0, rejected = 0, skipped = 0
        var total: Int { new + updated + duplicates + rejected + skipped }
    }

    typealias Classify = @Sendable (IncomingMessage) -> (Classification, String)?

    let batchSize: Int
    var classify: Classify?
    /// Seconds added to every message's time (the demo moves its inbox to the present).
    var timeShift: TimeInterval = 0
    private let writer: BatchWriter
    private var skipped = 0
    private var pending: [ClassifiedMessage] = []
    private var rejections: [Rejection] = []

    init(inbox: InboxDatabase, batchSize: Int = 1000, classify: Classify? = nil) {
        self.batchSize = batchSize
        self.classify = classify
        writer = BatchWriter(inbox: inbox)
        pending.reserveCapacity(batchSize)
    }

    /// What has been committed so far (call `finish` first for the final figures).
    var counts: Counts {
        var c = writer.counts
        c.skipped = skipped
        return c
    }

    /// The longest write transaction so far, in milliseconds (moderators wait behind it).
    var slowestFlushMs: Double { writer.transactionMs.max() ?? 0 }

    /// CPU time the writer thread spent storing, in seconds: the part of ingest that cannot
    /// run on more than one core.
    var writerCPUSeconds: Double { writer.cpuSeconds }

    /// The 99th percentile of the write transactions' times, in milliseconds.
    var p99FlushMs: Double {
        let t = writer.transactionMs.sorted()
        return t.isEmpty ? 0 : t[min(t.count - 1, Int(Double(t.count) * 0.99))]
    }

    mutating func ingest(_ reader: IngestReader) throws {
        try reader.read { item in
            switch item {
            case .message(var m):
                m.receivedAt += timeShift
                pending.append(ClassifiedMessage(m))
            case .rejected(let e):
                report(e.description)
                rejections.append(Rejection(sourceFile: e.file, line: e.line, location: e.location, reason: e.reason, raw: e.raw))
            case .skipped:
                skipped += 1
            }
            if pending.count + rejections.count >= batchSize { try flush() }
        }
        try finish()
    }

    private mutating func flush() throws {
        guard !pending.isEmpty || !rejections.isEmpty else { return }
        if let classify { Self.classifyInParallel(&pending, classify) }
        try writer.submit(pending, rejections)
        pending.removeAll(keepingCapacity: true)
        rejections.removeAll(keepingCapacity: true)
    }

    /// Classifies a batch on every core: classification is most of ingest's CPU time.
    static func classifyInParallel(_ batch: inout [ClassifiedMessage], _ classify: Classify) {
        let n = batch.count
        let workers = min(ProcessInfo.processInfo.activeProcessorCount, max(1, n / 64))
        batch.withUnsafeMutableBufferPointer { buf in
            nonisolated(unsafe) let items = buf
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                // Each worker owns a disjoint slice of the batch.
                for i in stride(from: w, to: n, by: workers) {
                    if let (c, version) = classify(items[i].message) {
                        items[i].classification = c
                        items[i].policyVersion = version
                        // encoded here, in parallel, not on the writer thread
                        items[i].classificationJSON = c.json
                    }
                }
            }
        }
    }

    /// Stores what is pending and waits until every batch is committed.
    mutating func finish() throws {
        try flush()
        try writer.drain()
    }
}

/// Stores batches in order on its own thread; at most two wait, so memory stays bounded.
private final class BatchWriter: @unchecked Sendable {
    private let inbox: InboxDatabase
    private let queue = DispatchQueue(label: "rounds.ingest.writer")
    private let slots = DispatchSemaphore(value: 2)
    private let lock = NSLock()
    private var _counts = Ingester.Counts()
    private var _cpu = 0.0
    private var failure: Error?
    private var batches = 0
    private var _transactions: [Double] = []

    init(inbox: InboxDatabase) {
        self.inbox = inbox
        try? inbox.automaticCheckpoints(false)
    }

    deinit { try? inbox.automaticCheckpoints(true) }

    var counts: Ingester.Counts { lock.withLock { _counts } }
    var cpuSeconds: Double { lock.withLock { _cpu } }
    /// Every write transaction's time, in milliseconds, in order.
    var transactionMs: [Double] { lock.withLock { _transactions } }

    private static func threadCPU() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    func submit(_ batch: [ClassifiedMessage], _ rejections: [Rejection]) throws {
        if let failure = lock.withLock({ failure }) { throw failure }
        slots.wait()
        queue.async { [self] in
            defer { slots.signal() }
            guard lock.withLock({ failure == nil }) else { return }
            let cpu0 = Self.threadCPU()
            defer { let used = Self.threadCPU() - cpu0; lock.withLock { _cpu += used } }
            // Evidence not encoded yet (classified elsewhere) is encoded before the transaction,
            // so moderators wait less behind it.
            var batch = batch
            for i in batch.indices where batch[i].classificationJSON == nil { batch[i].classificationJSON = batch[i].classification?.json }
            do {
                let t0 = DispatchTime.now().uptimeNanoseconds
                let outcomes = try inbox.store(batch, rejections: rejections)
                let ms = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6
                lock.withLock {
                    for o in outcomes {
                        switch o {
                        case .inserted: _counts.new += 1
                        case .updated: _counts.updated += 1
                        case .duplicate: _counts.duplicates += 1
                        }
                    }
                    _counts.rejected += rejections.count
                    _transactions.append(ms)
                }
                // Between transactions, not inside one: the WAL goes back to the database.
                batches += 1
                if batches % 8 == 0 { try inbox.checkpointPassive() }
            } catch {
                lock.withLock { failure = error }
            }
        }
    }

    func drain() throws {
        queue.sync {}
        try? inbox.checkpointPassive()
        if let failure = lock.withLock({ failure }) { throw failure }
    }
}
