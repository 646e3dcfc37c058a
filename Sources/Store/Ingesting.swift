import Foundation
import GRDB
import InboxModel

/// A message ready to be stored, with what the classifier said about its text.
public struct ClassifiedMessage: Sendable {
    public var message: IncomingMessage
    public var classification: Classification?
    public var policyVersion: String?
    /// The classification as JSON, when encoded ahead of the write transaction.
    public var classificationJSON: String?
    /// Lane, priority and flag bits, when worked out ahead of the write transaction.
    var columns: Columns?
    typealias Columns = (lane: Lane, priority: Int, flagSet: Int64)

    public init(_ message: IncomingMessage, classification: Classification? = nil, policyVersion: String? = nil) {
        self.message = message
        self.classification = classification
        self.policyVersion = policyVersion
    }

    /// Encodes what the message's row holds of its classification now, so that the writer,
    /// which every message waits for, does not (ingest calls it on its classifying threads).
    public mutating func prepareColumns() {
        guard let c = classification else { return }
        classificationJSON = c.json
        columns = Self.columns(c, kind: message.kind)
    }

    static func columns(_ c: Classification, kind: MessageKind) -> Columns { (c.lane(kind: kind), c.priority, c.flagSet) }
}

/// A record that could not be read, kept with its reason so nothing is lost.
public struct Rejection: Sendable, Equatable {
    public var sourceFile: String
    public var line: Int
    public var location: String?
    public var reason: String
    public var raw: Data

    public init(sourceFile: String, line: Int, location: String? = nil, reason: String, raw: Data) {
        self.sourceFile = sourceFile
        self.line = line
        self.location = location
        self.reason = reason
        self.raw = raw
    }
}

/// What storing one message did.
public enum StoreOutcome: Sendable, Equatable {
    case inserted, updated, duplicate
}

extension InboxDatabase {
    /// Stores one batch of messages and rejections in a single transaction (`ingestWrite`
    /// says when it reaches the disk).
    ///
    /// Idempotent: the same external id twice is one message. An edit keeps the earlier text
    /// in `message_version`; a remove or hide event marks the message and never deletes it.
    /// A moderator's write waiting in another process goes first (`WriteTurn`).
    @discardableResult
    public func store(_ batch: [ClassifiedMessage], rejections: [Rejection] = []) throws -> [StoreOutcome] {
        try store(front: batch[...], rejections: rejections, insertingFor: .never)
    }

    /// Stores messages from the front of `batch` in a single transaction, and takes no more
    /// once it has been inserting for `budget` (it always takes one): the outcomes of those it
    /// stored, in order. Ingest stores a batch in as many calls as it takes, so a transaction
    /// slowed down (another process on the core, a run of long messages) ends early instead
    /// of holding the write lock moderators wait for. The rejections go in with the first call.
    public func store(front batch: ArraySlice<ClassifiedMessage>, rejections: [Rejection] = [],
                      insertingFor budget: DispatchTimeInterval) throws -> [StoreOutcome] {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        return try ingestWrite { db in
            let deadline = DispatchTime.now() + budget  // from when the write lock is held
            var outcomes: [StoreOutcome] = []
            outcomes.reserveCapacity(batch.count)
            var settled = try Self.lastMessageID(db)
            let inserts = try Inserts(db)
            for i in batch.indices {  // by index: `for item in` copied every message
                if i > batch.startIndex, DispatchTime.now() >= deadline { break }
                outcomes.append(try Self.store(batch[i], now: now, settledUpTo: &settled, inserts, in: db))
            }
            try Self.settleNewMessages(after: settled, counted: inserts.newInLane, in: db)
            try Self.storeRejections(rejections, now: now, in: db)
            return outcomes
        }
    }

    /// Stores a whole batch and rejections, then runs `alsoCommit` in the same transaction: a
    /// webhook body is marked ingested, or a poller's cursor moves, only with what it carried.
    func store(_ batch: [ClassifiedMessage], rejections: [Rejection], alsoCommit: (Database) throws -> Void) throws -> [StoreOutcome] {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        return try ingestWrite { db in
            var settled = try Self.lastMessageID(db)
            let inserts = try Inserts(db)
            var outcomes: [StoreOutcome] = []
            for i in batch.indices {
                outcomes.append(try Self.store(batch[i], now: now, settledUpTo: &settled, inserts, in: db))
            }
            try Self.settleNewMessages(after: settled, counted: inserts.newInLane, in: db)
            try Self.storeRejections(rejections, now: now, in: db)
            try alsoCommit(db)
            return outcomes
        }
    }

    static func storeRejections(_ rejections: [Rejection], now: Int64, in db: Database) throws {
        for r in rejections {
            try db.cachedStatement(sql: """
                INSERT INTO rejected_record (source_file, line, location, reason, raw, rejected_at)
                VALUES (?, ?, ?, ?, ?, ?)
                """).execute(arguments: [r.sourceFile, r.line, r.location, r.reason, r.raw, now])
        }
    }

    /// One of ingest's write transactions: atomic, and after a moderator's waiting write
    /// (`WriteTurn`), but committed without an fsync of its own (`synchronous=NORMAL`).
    ///
    /// A commit's fsync held the write lock for a large part of the transaction's time.
    /// Ingest's data stays safe without it: a crash loses no committed transaction in WAL mode,
    /// and the WAL is synced by the next checkpoint (ingest's checkpointer runs after every
    /// batch), by any moderator's commit (FULL syncs the WAL up to its own frames, so no action
    /// can outlive the message it acts on), and by `syncCommitted` before ingest reports what it
    /// stored. Power lost in between loses at most the last batches of a run that had not
    /// finished, and running it again stores them (ingest is idempotent).
    func ingestWrite<T>(_ body: (Database) throws -> T) throws -> T {
        turn?.letModeratorsGoFirst()
        return try pool.writeWithoutTransaction { db in
            // Not a cached statement: SQLite applies this pragma when it compiles it.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            let result = Result {
                var value: T?
                try db.inTransaction(.immediate) {
                    value = try body(db)
                    return .commit
                }
                return value!
            }
            try db.execute(sql: "PRAGMA synchronous = FULL")
            return try result.get()
        }
    }

    /// Makes every transaction committed so far survive power loss, ingest's included: syncs
    /// the WAL (a checkpoint syncs the database file before it starts the WAL over, so what
    /// is no longer in the WAL is on disk already).
    public func syncCommitted() throws {
        let fd = open(path + "-wal", O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return }  // no WAL: the last connection checkpointed and synced
            throw StoreError.cannotSync(path: path + "-wal", reason: String(cString: strerror(errno)))
        }
        defer { close(fd) }
        if fdatasync(fd) != 0 {
            throw StoreError.cannotSync(path: path + "-wal", reason: String(cString: strerror(errno)))
        }
    }

    static func lastMessageID(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT max(id) FROM message") ?? 0
    }

    /// Adds the messages inserted after `id` to the full-text index and the queue counts: once
    /// per batch (per-row triggers cost more than SQLite's own insert), and before any of them
    /// is updated, since the update triggers take the old values out of both.
    static func settleNewMessages(after id: Int64, counted: NewMessageCounts, in db: Database) throws {
        try indexNewMessages(after: id, in: db)
        try indexNewAuthors(after: id, in: db)
        try counted.add(to: db)
    }

    /// Merges the full-text indexes' segments a little, about 64 and 16 pages' worth, in a
    /// transaction of its own. Ingest calls it after every second batch: FTS5's own merges
    /// came in bursts inside a batch's transaction (see `Schema.v6`). A step can still take
    /// as long as a batch (a common word's list is copied whole), so it does not share a
    /// transaction with one. Only levels holding 16 segments or more are merged (`Schema.v9`): a quiet
    /// inbox does no work here, and one that is never merged still works (FTS5 merges a level
    /// of 64 by itself).
    public func mergeIndexes() throws {
        try ingestWrite { db in try Self.mergeIndexes(in: db) }
    }

    static func mergeIndexes(in db: Database) throws {
        try db.cachedStatement(sql: "INSERT INTO message_fts (message_fts, rank) VALUES ('merge', 64)").execute()
        try db.cachedStatement(sql: "INSERT INTO author_index (author_index, rank) VALUES ('merge', 16)").execute()
    }

    /// Adds the authors of the messages inserted after `id` to the author index in one statement.
    static func indexNewAuthors(after id: Int64, in db: Database) throws {
        try db.cachedStatement(sql: """
            INSERT INTO author_index (rowid, author_key)
            SELECT id, \(Schema.authorKey(platform: "platform", author: "author_id"))
            FROM message WHERE id > ? AND author_id IS NOT NULL
            """).execute(arguments: [id])
    }

    /// New messages per lane, counted as they are inserted and added to the queue counts when
    /// they are settled: counting them back from their rows would read every new row again.
    /// (A new message is always open.)
    final class NewMessageCounts {
        private static let lanes = Lane.allCases
        private var counts = [Int](repeating: 0, count: lanes.count)

        func count(_ lane: Lane) { counts[Self.lanes.firstIndex(of: lane)!] += 1 }

        func add(to db: Database) throws {
            for (i, n) in counts.enumerated() where n > 0 {
                try db.cachedStatement(sql: "UPDATE queue_count SET n = n + ? WHERE lane = ? AND state = 'open'")
                    .execute(arguments: [n, Self.lanes[i].rawValue])
                counts[i] = 0
            }
        }
    }

    /// Adds the messages inserted after `id` to the full-text index in one statement.
    static func indexNewMessages(after id: Int64, in db: Database) throws {
        try db.cachedStatement(sql: """
            INSERT INTO message_fts (rowid, text, author_handle, author_name)
            SELECT id, text, author_handle, author_name FROM message WHERE id > ?
            """).execute(arguments: [id])
    }

    /// The two statements every new message runs, looked up once per batch, and memory for
    /// their text.
    struct Inserts {
        let message: Statement
        let flag: Statement
        let arena = BindingArena()
        let newInLane = NewMessageCounts()

        init(_ db: Database) throws {
            message = try db.cachedStatement(sql: """
                INSERT INTO message (platform, kind, external_id, post_id, parent_id, author_id,
                    author_handle, author_name, text, language, rating, received_at, visibility,
                    edited_at, removed_on_platform, hidden_on_platform, invalid_utf8, raw_payload,
                    source_file, ingested_at, lane, priority, sentiment, classification, policy_version, flag_set)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (platform, external_id) DO NOTHING
                """)
            flag = try Self.flag(db)
        }

        static func flag(_ db: Database) throws -> Statement {
            try db.cachedStatement(sql: """
                INSERT INTO message_flag (message_id, flag, decision, score, severity, category)
                VALUES (?, ?, ?, ?, ?, ?)
                """)
        }
    }

    private static func store(_ item: ClassifiedMessage, now: Int64, settledUpTo settled: inout Int64,
                              _ inserts: Inserts, in db: Database) throws -> StoreOutcome {
        let m = item.message
        let markRemoved = m.event == .removed
        let markHidden = m.event == .hidden
        let c = item.classification
        var b = RawBinding(inserts.message, db, arena: inserts.arena)
        b.text(m.platform.rawValue); b.text(m.kind.rawValue); b.text(m.externalID); b.text(m.postID)
        b.text(m.parentID); b.text(m.authorID); b.text(m.authorHandle); b.text(m.authorName); b.text(m.text)
        b.text(m.language ?? c?.language); b.int(m.rating.map(Int64.init))
        b.int(Int64(m.receivedAt.timeIntervalSince1970 * 1000)); b.text(m.visibility.rawValue)
        b.int(m.event == .edited ? now : nil); b.bool(markRemoved); b.bool(markHidden); b.bool(m.hadInvalidUTF8)
        b.text(m.rawPayload); b.text(m.sourceFile); b.int(now)
        let columns = item.columns ?? c.map { ClassifiedMessage.columns($0, kind: m.kind) }
        let lane = columns?.lane ?? (m.kind == .review ? .reviews : .new)
        b.text(lane.rawValue); b.int(Int64(columns?.priority ?? 3))
        b.text(c?.sentiment.rawValue); b.text(item.classificationJSON ?? c?.json); b.text(item.policyVersion)
        b.int(columns?.flagSet ?? 0)
        let changed = try b.run()
        if changed == 1 {
            inserts.newInLane.count(lane)
            if let c { try insertFlags(c, messageID: db.lastInsertedRowID, inserts.flag, arena: inserts.arena, in: db) }
            return .inserted
        }

        guard let existing = try Row.fetchOne(
            db.cachedStatement(sql: """
                SELECT id, text, removed_on_platform, hidden_on_platform
                FROM message WHERE platform = ? AND external_id = ?
                """),
            arguments: [m.platform.rawValue, m.externalID]
        ) else { return .duplicate }
        let id: Int64 = existing["id"]
        let oldText: String = existing["text"]
        if id > settled {
            // Inserted earlier in this batch: index and count it now, before the update
            // triggers take its old text and queue out of the index and the counts.
            try settleNewMessages(after: settled, counted: inserts.newInLane, in: db)
            settled = try lastMessageID(db)
        }

        switch m.event {
        case .removed, .hidden:
            let column = markRemoved ? "removed_on_platform" : "hidden_on_platform"
            let already: Bool = existing[column]
            if already { return .duplicate }
            try db.execute(sql: "UPDATE message SET \(column) = 1 WHERE id = ?", arguments: [id])
            return .updated
        case .created, .edited:
            // A repeat delivery, or an event that carries no text, changes nothing.
            if m.text == oldText || m.text.isEmpty { return .duplicate }
            try db.cachedStatement(sql: """
                INSERT INTO message_version (message_id, text, replaced_at) VALUES (?, ?, ?)
                """).execute(arguments: [id, oldText, now])
            try db.cachedStatement(sql: """
                UPDATE message SET text = ?, edited_at = ?, raw_payload = ?,
                    invalid_utf8 = invalid_utf8 OR ?, rating = COALESCE(?, rating)
                WHERE id = ?
                """).execute(arguments: [m.text, now, m.rawPayload, m.hadInvalidUTF8, m.rating, id])
            try saveClassification(item, messageID: id, in: db)
            return .updated
        }
    }

    /// Writes lane, priority, flags and evidence for one message (replacing earlier ones).
    static func saveClassification(_ item: ClassifiedMessage, messageID: Int64, in db: Database) throws {
        guard let c = item.classification else { return }
        try writeClassification(c, kind: item.message.kind, policyVersion: item.policyVersion, messageID: messageID, in: db)
    }

    static func encodeJSON(_ c: Classification) throws -> String { c.json }

    static func writeClassification(_ c: Classification, kind: MessageKind, policyVersion: String?, messageID: Int64, in db: Database) throws {
        try db.cachedStatement(sql: """
            UPDATE message SET lane = ?, priority = ?, sentiment = ?, classification = ?,
                policy_version = ?, language = COALESCE(language, ?), flag_set = ?
            WHERE id = ?
            """).execute(arguments: [
                c.lane(kind: kind).rawValue, c.priority, c.sentiment.rawValue, try encodeJSON(c),
                policyVersion, c.language, c.flagSet, messageID,
            ])
        try db.cachedStatement(sql: "DELETE FROM message_flag WHERE message_id = ?").execute(arguments: [messageID])
        try insertFlags(c, messageID: messageID, Inserts.flag(db), in: db)
    }

    static func insertFlags(_ c: Classification, messageID: Int64, _ insert: Statement, arena: BindingArena? = nil, in db: Database) throws {
        for f in c.flags {
            var b = RawBinding(insert, db, arena: arena)
            b.int(messageID); b.text(f.flag.rawValue); b.text(f.decision.rawValue); b.double(f.score)
            b.text(f.severity); b.text(f.category)
            _ = try b.run()
        }
    }
}
