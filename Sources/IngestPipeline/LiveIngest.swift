import Foundation
import InboxModel
import Ingest
import Store

/// Ingest for `rounds serve`: webhook bodies from the spool and pages from the pollers, parsed
/// and classified like `rounds ingest` does it, each stored in one transaction together with
/// what marks it done (the spool row, the poller's cursor).
public struct LiveIngest: Sendable {
    public let inbox: InboxDatabase
    public let classify: Ingester.Classify?

    public init(inbox: InboxDatabase, classify: Ingester.Classify?) {
        self.inbox = inbox
        self.classify = classify
    }

    /// What one body or page held.
    public struct Parsed: Sendable {
        public var messages: [ClassifiedMessage] = []
        public var rejections: [Rejection] = []
        public var skipped = 0
        public var rejectionReasons: [String] = []
    }

    /// Parses and classifies `data` (named `name` in rejections) as `format`.
    public func parse(_ data: Data, name: String, format: InputFormat, receivedAt: Date = Date()) -> Parsed {
        var p = Parsed()
        let reader = IngestReader(name: name, data: data, format: format)
        // In memory, the reader cannot fail to read; a body it cannot parse is a rejection.
        try? reader.read { item in
            switch item {
            case .message(let m):
                var c = ClassifiedMessage(m)
                if let classify, let (cls, version) = classify(m) {
                    c.classification = cls
                    c.policyVersion = version
                    c.prepareColumns()
                }
                p.messages.append(c)
            case .rejected(let e):
                p.rejections.append(Rejection(sourceFile: e.file, line: e.line, location: e.location, reason: e.reason, raw: e.raw))
                p.rejectionReasons.append(e.description)
            case .skipped:
                p.skipped += 1
            }
        }
        return p
    }

    /// Ingests spooled bodies in one transaction that also marks them done.
    public func ingestSpooled(_ bodies: [SpooledBody], format: (SpooledBody) -> InputFormat) throws -> (Ingester.Counts, [String]) {
        var all = Parsed()
        for b in bodies {
            let p = parse(b.body, name: "webhook \(b.source) #\(b.id)", format: format(b))
            all.messages += p.messages
            all.rejections += p.rejections
            all.skipped += p.skipped
            all.rejectionReasons += p.rejectionReasons
        }
        let outcomes = try inbox.storeSpooled(all.messages, rejections: all.rejections, done: bodies.map(\.id))
        return (Self.count(outcomes, all), all.rejectionReasons)
    }

    /// Stores what a polled page held and moves `stream`'s cursor, in one transaction.
    public func storePage(_ p: Parsed, stream: String, cursor: String) throws -> Ingester.Counts {
        let outcomes = try inbox.storePolled(p.messages, rejections: p.rejections, stream: stream, cursor: cursor)
        return Self.count(outcomes, p)
    }

    public static func count(_ outcomes: [StoreOutcome], _ p: Parsed) -> Ingester.Counts {
        var c = Ingester.Counts()
        for o in outcomes {
            switch o {
            case .inserted: c.new += 1
            case .updated: c.updated += 1
            case .duplicate: c.duplicates += 1
            }
        }
        c.rejected = p.rejections.count
        c.skipped = p.skipped
        return c
    }
}
