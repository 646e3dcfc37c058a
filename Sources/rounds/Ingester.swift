import Foundation
import InboxModel
import Ingest
import Store

/// Ingest's pipeline: read records, classify each message, store them in batches.
///
/// A batch is one durable transaction; reporting happens after its commit, so what the
/// summary counts is on disk.
struct Ingester {
    struct Counts {
        var new = 0, updated = 0, duplicates = 0, rejected = 0, skipped = 0
        var total: Int { new + updated + duplicates + rejected + skipped }
    }

    let inbox: InboxDatabase
    let batchSize: Int
    var classify: ((IncomingMessage) -> (Classification, String)?)?
    /// Seconds added to every message's time (the demo moves its inbox to the present).
    var timeShift: TimeInterval = 0
    private(set) var counts = Counts()
    private var pending: [ClassifiedMessage] = []
    private var rejections: [Rejection] = []

    init(inbox: InboxDatabase, batchSize: Int = 2000, classify: ((IncomingMessage) -> (Classification, String)?)? = nil) {
        self.inbox = inbox
        self.batchSize = batchSize
        self.classify = classify
        pending.reserveCapacity(batchSize)
    }

    mutating func ingest(_ reader: IngestReader) throws {
        try reader.read { item in
            switch item {
            case .message(var m):
                m.receivedAt += timeShift
                var cm = ClassifiedMessage(m)
                if let (c, version) = classify?(m) {
                    cm.classification = c
                    cm.policyVersion = version
                }
                pending.append(cm)
            case .rejected(let e):
                report(e.description)
                rejections.append(Rejection(sourceFile: e.file, line: e.line, location: e.location, reason: e.reason, raw: e.raw))
            case .skipped:
                counts.skipped += 1
            }
            if pending.count + rejections.count >= batchSize { try flush() }
        }
        try flush()
    }

    mutating func flush() throws {
        guard !pending.isEmpty || !rejections.isEmpty else { return }
        let outcomes = try inbox.store(pending, rejections: rejections)
        for o in outcomes {
            switch o {
            case .inserted: counts.new += 1
            case .updated: counts.updated += 1
            case .duplicate: counts.duplicates += 1
            }
        }
        counts.rejected += rejections.count
        pending.removeAll(keepingCapacity: true)
        rejections.removeAll(keepingCapacity: true)
    }

    mutating func finish() throws {
        try flush()
    }
}
