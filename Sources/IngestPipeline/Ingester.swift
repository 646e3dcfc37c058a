import Foundation
import InboxModel
import Ingest
import Store

/// Ingest's pipeline, three stages on their own threads:
/// - the caller's thread reads and parses records into batches;
/// - classifier threads, one per core, classify whole batches;
/// - one writer thread stores the batches in the order they were read, each in one
///   transaction (or more, when one runs over `insertingBudget`), synced to disk by the
///   checkpointer right after and by `finish` at the end.
///
/// A write transaction holds the inbox's write lock, so moderators wait behind it.
/// Classification and checkpoints therefore run at a lower priority (`nice`) and give way to
/// the writer for its core. Parsing stays at the caller's priority: the caller may go on to
/// open the console (`rounds demo`), and an unprivileged thread cannot lower its nice value
/// back.
///
/// The counts only include committed batches, and `finish` syncs them: what the summary
/// reports is on disk.
public struct Ingester {
    public struct Counts: Sendable {
        public var new = 0, updated = 0, duplicates = 0, rejected = 0, skipped = 0
        public var total: Int { new + updated + duplicates + rejected + skipped }
    }

    public typealias Classify = @Sendable (IncomingMessage) -> (Classification, String)?

    public let batchSize: Int
    public var classify: Classify?
    /// Seconds added to every message's time (the demo moves its inbox to the present).
    public var timeShift: TimeInterval = 0
    /// Told each rejected record's `FILE:LINE: reason`; by default one sanitised line on
    /// standard error (the reason quotes the input, which is untrusted).
    public var onRejection: (String) -> Void = { line in
        FileHandle.standardError.write(Data((UntrustedText.line(line) + "\n").utf8))
    }
    private let owner: PipelineOwner
    private var pipeline: PipelineThreads { owner.pipeline }
    private var skipped = 0
    private var pending: [ClassifiedMessage] = []
    private var rejections: [Rejection] = []

    /// Large enough for ingest's rate, small enough that a moderator never waits long behind
    /// one transaction (measurements: docs/performance.md, P1).
    public static let defaultBatchSize = 500

    /// How long one of ingest's transactions goes on taking new messages before it commits
    /// the part of the batch it has: a batch slowed down (by another process on the core, or
    /// a run of long messages) is cut, so the write lock is never held much past this.
    public static let insertingBudget = DispatchTimeInterval.milliseconds(20)

    /// `detailedTimings`: split each transaction's time (`WriteTiming`), for the benchmarks;
    /// it reads /proc four times a transaction, so ingest itself does without.
    public init(inbox: InboxDatabase, batchSize: Int = defaultBatchSize, insertingBudget: DispatchTimeInterval = insertingBudget,
         detailedTimings: Bool = false, classify: Classify? = nil) {
        self.batchSize = batchSize
        self.classify = classify
        owner = PipelineOwner(PipelineThreads(inbox: inbox, insertingBudget: insertingBudget, detailedTimings: detailedTimings))
        pending.reserveCapacity(batchSize)
    }

    /// What has been committed so far (call `finish` first for the final figures).
    public var counts: Counts {
        var c = pipeline.counts
        c.skipped = skipped
        return c
    }

    /// The longest write transaction so far, in milliseconds (moderators wait behind it).
    public var slowestFlushMs: Double { slowestTransaction?.timing.ms ?? 0 }

    /// The longest write transaction so far and its place among them (0-based).
    public var slowestTransaction: (index: Int, timing: WriteTiming)? {
        let t = pipeline.transactions
        return t.indices.max { t[$0].ms < t[$1].ms }.map { ($0, t[$0]) }
    }

    /// Every write transaction so far, in order.
    public var transactions: [WriteTiming] { pipeline.transactions }

    /// CPU time the writer thread spent storing, in seconds: the part of ingest that cannot
    /// run on more than one core.
    public var writerCPUSeconds: Double { pipeline.writerCPUSeconds }

    /// The 99th percentile of the write transactions' times, in milliseconds.
    public var p99FlushMs: Double {
        let t = pipeline.transactions.map(\.ms).sorted()
        return t.isEmpty ? 0 : t[min(t.count - 1, Int(Double(t.count) * 0.99))]
    }

    public mutating func ingest(_ reader: IngestReader) throws {
        try reader.read { item in
            switch item {
            case .message(var m):
                m.receivedAt += timeShift
                pending.append(ClassifiedMessage(m))
            case .rejected(let e):
                onRejection(e.description)
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
        try pipeline.submit(PipelineThreads.Batch(messages: pending, rejections: rejections), classify: classify)
        pending = []
        pending.reserveCapacity(batchSize)
        rejections = []
    }

    /// Stores what is pending and waits until every batch is committed.
    public mutating func finish() throws {
        try flush()
        try pipeline.drain()
    }
}

/// Ends the pipeline's threads when the last copy of its `Ingester` goes.
private final class PipelineOwner: Sendable {
    let pipeline: PipelineThreads
    init(_ pipeline: PipelineThreads) { self.pipeline = pipeline }
    deinit { pipeline.close() }
}

/// The classifier and writer threads of `Ingester`, and the batches between them. One lock and
/// one condition guard everything: batches are few (a few dozen a second at full speed).
private final class PipelineThreads: @unchecked Sendable {
    struct Batch {
        var messages: [ClassifiedMessage]
        var rejections: [Rejection]
        var classify: Ingester.Classify?
        var sequence = 0

        init(messages: [ClassifiedMessage], rejections: [Rejection]) {
            self.messages = messages
            self.rejections = rejections
        }
    }

    private let inbox: InboxDatabase
    private let condition = NSCondition()
    private var toClassify: [Batch] = []
    private var toWrite: [Int: Batch] = [:]
    /// Batches the writer has stored, freed by a classifier thread: freeing 500 messages and
    /// their evidence took 3% of the writer's time, and every message waits for the writer.
    private var storedBatches: [Batch] = []
    private var submitted = 0
    private var written = 0
    private var closed = false
    private var failure: Error?
    private var _counts = Ingester.Counts()
    private var _cpu = 0.0
    private var _transactions: [WriteTiming] = []
    private let maxInFlight: Int
    private let insertingBudget: DispatchTimeInterval
    private let detailedTimings: Bool
    private let checkpointer: Checkpointer?
    private var checkpointWanted = false
    private var checkpointing = false

    init(inbox: InboxDatabase, insertingBudget: DispatchTimeInterval, detailedTimings: Bool) {
        self.inbox = inbox
        self.insertingBudget = insertingBudget
        self.detailedTimings = detailedTimings
        try? inbox.automaticCheckpoints(false)
        let classifiers = max(1, ProcessInfo.processInfo.activeProcessorCount)
        // Enough batches in flight to keep every classifier and the writer busy, and no more:
        // memory stays flat however large the input.
        maxInFlight = classifiers + 2
        checkpointer = try? inbox.makeCheckpointer()
        for _ in 0..<classifiers { start("rounds.ingest.classify", niced: true) { $0.classifyLoop() } }
        start("rounds.ingest.writer", niced: false) { $0.writeLoop() }
        if let checkpointer { start("rounds.ingest.checkpoint", niced: true) { $0.checkpointLoop(checkpointer) } }
    }

    deinit { try? inbox.automaticCheckpoints(true) }

    /// Starts a thread that holds the pipeline until `close`.
    private func start(_ name: String, niced: Bool, _ body: @escaping @Sendable (PipelineThreads) -> Void) {
        let thread = Thread { [self] in
            // Linux keeps a nice value per thread; raising one's own needs no privilege.
            if niced { _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10) }
            body(self)
        }
        thread.name = name
        thread.start()
    }

    var counts: Ingester.Counts { condition.withLock { _counts } }
    var writerCPUSeconds: Double { condition.withLock { _cpu } }
    /// Every write transaction's times, in order.
    var transactions: [WriteTiming] { condition.withLock { _transactions } }

    func submit(_ batch: Batch, classify: Ingester.Classify?) throws {
        condition.lock()
        defer { condition.unlock() }
        while submitted - written >= maxInFlight && failure == nil { condition.wait() }
        if let failure { throw failure }
        var batch = batch
        batch.sequence = submitted
        batch.classify = classify
        submitted += 1
        if classify == nil { toWrite[batch.sequence] = batch } else { toClassify.append(batch) }
        condition.broadcast()
    }

    /// Waits until every submitted batch is committed (or one failed), returns the WAL to the
    /// database, and syncs what was committed. The threads stay for the next file.
    func drain() throws {
        condition.lock()
        while written < submitted { condition.wait() }
        let failure = failure
        condition.unlock()
        try? inbox.checkpointPassive()
        // Ingest's commits skip their fsync (`InboxDatabase.ingestWrite`): sync before the
        // caller reports anything as stored, even when a later batch failed.
        let synced = Result { try inbox.syncCommitted() }
        if let failure { throw failure }
        try synced.get()
    }

    /// Ends the threads once they are idle; the pipeline is freed after them.
    func close() {
        condition.withLock {
            closed = true
            condition.broadcast()
        }
    }

    private func classifyLoop() {
        while true {
            condition.lock()
            while toClassify.isEmpty && storedBatches.isEmpty && !closed { condition.wait() }
            var spent: [Batch] = []
            swap(&spent, &storedBatches)
            let next = toClassify.isEmpty ? nil : toClassify.removeFirst()
            let finished = closed
            condition.unlock()
            spent.removeAll()  // freed outside the lock
            guard var batch = next else {
                if finished { return } else { continue }
            }
            if let classify = batch.classify {
                for i in batch.messages.indices {
                    guard let (c, version) = classify(batch.messages[i].message) else { continue }
                    batch.messages[i].classification = c
                    batch.messages[i].policyVersion = version
                    batch.messages[i].prepareColumns()
                }
            }
            condition.withLock {
                toWrite[batch.sequence] = batch
                condition.broadcast()
            }
        }
    }

    private func writeLoop() {
        var batches = 0
        while true {
            condition.lock()
            while toWrite[written] == nil && !closed { condition.wait() }
            guard let batch = toWrite.removeValue(forKey: written) else { condition.unlock(); return }
            let failed = failure != nil
            condition.unlock()

            var outcomes: [StoreOutcome] = []
            var rejectionsStored = false
            var timings: [WriteTiming] = []
            var error: Error?
            var cpu = 0.0
            if !failed {
                let cpu0 = Self.threadCPU()
                do {
                    var rest = batch.messages[...]
                    repeat {
                        let (done, timing) = try timed {
                            try inbox.store(front: rest, rejections: rejectionsStored ? [] : batch.rejections,
                                            insertingFor: insertingBudget)
                        }
                        outcomes += done
                        rejectionsStored = true
                        timings.append(timing)
                        rest = rest.dropFirst(done.count)
                    } while !rest.isEmpty
                    // Upkeep once the batch is committed, after every second batch (the first
                    // included): half the transactions for the same work. A failure here stops
                    // ingest and loses nothing: the batch is on disk and counted.
                    if batches % 2 == 0 {
                        timings.append(try timed { try inbox.mergeIndexes() }.1)
                    }
                    batches += 1
                    try returnWAL(afterBatch: batches)
                } catch let e {
                    error = e
                }
                cpu = Self.threadCPU() - cpu0
            }

            condition.withLock {
                // What was committed is counted, even when a later part of the batch failed.
                for o in outcomes {
                    switch o {
                    case .inserted: _counts.new += 1
                    case .updated: _counts.updated += 1
                    case .duplicate: _counts.duplicates += 1
                    }
                }
                if rejectionsStored { _counts.rejected += batch.rejections.count }
                _transactions += timings
                if let error, failure == nil { failure = error }
                _cpu += cpu
                written += 1
                storedBatches.append(batch)
                condition.broadcast()
            }
        }
    }

    /// Copies the WAL back into the database between transactions. The checkpointer thread
    /// does it after each batch, while the writer goes on. It can never catch up, though: by
    /// the time it finishes, another batch is in the WAL, and SQLite only starts the WAL over
    /// once every frame is copied. So every 16th batch the writer waits for it, and copies
    /// the rest itself before its next transaction, which starts the WAL over.
    private func returnWAL(afterBatch n: Int) throws {
        guard checkpointer != nil else { return try inbox.checkpointPassive() }
        condition.lock()
        if n % 16 != 0 {
            checkpointWanted = true
            condition.broadcast()
            condition.unlock()
            return
        }
        while checkpointWanted || checkpointing { condition.wait() }
        condition.unlock()
        try inbox.checkpointPassive()
    }

    private func checkpointLoop(_ checkpointer: Checkpointer) {
        while true {
            condition.lock()
            while !checkpointWanted && !closed { condition.wait() }
            if !checkpointWanted { condition.unlock(); return }
            checkpointWanted = false
            checkpointing = true
            condition.unlock()
            // A failure here costs only WAL size; the writer's own checkpoints report errors.
            try? checkpointer.checkpointPassive()
            condition.withLock {
                checkpointing = false
                condition.broadcast()
            }
        }
    }

    /// The result of `body` and its times (only the wall time unless `detailedTimings`).
    private func timed<T>(_ body: () throws -> T) rethrows -> (T, WriteTiming) {
        let t0 = DispatchTime.now().uptimeNanoseconds
        guard detailedTimings else {
            let result = try body()
            let ms = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6
            return (result, WriteTiming(ms: ms))
        }
        let s0 = SchedulerTimes.thisThread(), stolen0 = machineStolenMs()
        let result = try body()
        let s1 = SchedulerTimes.thisThread(), stolen1 = machineStolenMs()
        return (result, WriteTiming(ms: Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6,
                                    cpuMs: (s1.onCPU - s0.onCPU) * 1000, queuedMs: (s1.queued - s0.queued) * 1000,
                                    stolenMs: stolen1 - stolen0))
    }

    private static func threadCPU() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
