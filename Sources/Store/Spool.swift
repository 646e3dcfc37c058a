import Foundation
import GRDB
import InboxModel

/// A webhook body as it was received, waiting to be ingested.
public struct SpooledBody: Sendable {
    public var id: Int64
    public var source: String
    public var receivedAt: Int64
    public var body: Data
    public var attempts: Int
}

/// One body to keep, as a webhook handler hands it over.
public struct SpoolEntry: Sendable {
    public var source: String
    public var body: Data
    /// Set where the platform names each delivery (Pub/Sub's `messageId`): a repeat is kept once.
    public var dedupeKey: String?

    public init(source: String, body: Data, dedupeKey: String? = nil) {
        self.source = source
        self.body = body
        self.dedupeKey = dedupeKey
    }
}

/// The spool: `rounds serve` answers a platform 200 only once the body is committed here, and
/// ingest then takes it through the same pipeline as `rounds ingest`.
extension InboxDatabase {
    /// Commits every entry in one transaction, synced to disk (`synchronous=FULL`): after this
    /// returns, a crash or a power cut loses none of them. True for each entry newly kept,
    /// false for a repeat of a delivery already kept (same `dedupeKey`).
    public func spool(_ entries: [SpoolEntry], now: Int64 = AuditEvent.nowMs()) throws -> [Bool] {
        try pool.write { db in
            try entries.map { e in
                try db.cachedStatement(sql: """
                    INSERT INTO spool (source, received_at, body, dedupe_key) VALUES (?, ?, ?, ?)
                    ON CONFLICT (dedupe_key) DO NOTHING
                    """).execute(arguments: [e.source, now, e.body, e.dedupeKey])
                return db.changesCount > 0
            }
        }
    }

    /// Bodies from `source` waiting for ingest whose next attempt is due, oldest first.
    public func waitingSpool(source: String, limit: Int, now: Int64 = AuditEvent.nowMs()) throws -> [SpooledBody] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, source, received_at, body, attempts FROM spool
                WHERE done_at IS NULL AND next_attempt_at <= ? AND source = ? ORDER BY id LIMIT ?
                """, arguments: [now, source, limit]).map {
                SpooledBody(id: $0[0], source: $0[1], receivedAt: $0[2], body: $0[3], attempts: $0[4])
            }
        }
    }

    /// How many bodies wait for ingest, and when the oldest of them arrived (ms).
    public func spoolDepth() throws -> (count: Int, oldestReceivedAt: Int64?) {
        try pool.read { db in
            let row = try Row.fetchOne(db, sql: "SELECT count(*), min(received_at) FROM spool WHERE done_at IS NULL")
            return (row?[0] ?? 0, row?[1])
        }
    }

    /// Stores what the spooled bodies `done` carried and marks them ingested, in one
    /// transaction: a crash before the commit leaves them waiting, and ingesting them again
    /// stores nothing twice (the inbox's unique keys), after it nothing is ingested again.
    @discardableResult
    public func storeSpooled(_ batch: [ClassifiedMessage], rejections: [Rejection], done: [Int64]) throws -> [StoreOutcome] {
        let now = AuditEvent.nowMs()
        return try store(batch, rejections: rejections) { db in
            for id in done {
                // The message keeps its raw payload; the body stays only where its key must
                // keep refusing repeats (Pub/Sub redelivers for up to 7 days).
                try db.cachedStatement(sql: "DELETE FROM spool WHERE id = ? AND dedupe_key IS NULL").execute(arguments: [id])
                try db.cachedStatement(sql: "UPDATE spool SET done_at = ?, body = x'', last_error = NULL WHERE id = ?")
                    .execute(arguments: [now, id])
            }
        }
    }

    /// A body that could not be ingested yet (the review it names could not be fetched): tried
    /// again at `retryAt`.
    public func deferSpooled(_ id: Int64, retryAt: Int64, reason: String) throws {
        try pool.write { db in
            try db.execute(sql: "UPDATE spool SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?",
                           arguments: [retryAt, reason, id])
        }
    }

    /// Forgets the keys of deliveries ingested before `before` (ms): the platform no longer repeats them.
    public func purgeSpoolKeys(before: Int64) throws {
        try pool.write { db in
            try db.execute(sql: "DELETE FROM spool WHERE done_at IS NOT NULL AND done_at < ?", arguments: [before])
        }
    }

    // MARK: - Pollers

    /// Where the poller of `stream` has got to (its own JSON), or nil before its first page.
    public func pollCursor(_ stream: String) throws -> String? {
        try pool.read { db in try String.fetchOne(db, sql: "SELECT cursor FROM poll_cursor WHERE stream = ?", arguments: [stream]) }
    }

    /// Stores a polled page and moves the poller's cursor in one transaction: after a crash the
    /// cursor never points past an item that is not in the inbox.
    @discardableResult
    public func storePolled(_ batch: [ClassifiedMessage], rejections: [Rejection], stream: String, cursor: String) throws -> [StoreOutcome] {
        let now = AuditEvent.nowMs()
        return try store(batch, rejections: rejections) { db in
            try db.cachedStatement(sql: """
                INSERT INTO poll_cursor (stream, cursor, updated_at) VALUES (?, ?, ?)
                ON CONFLICT (stream) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at
                """).execute(arguments: [stream, cursor, now])
        }
    }

    // MARK: - Connection status

    /// Records how a connection is doing. A success keeps the last error's time (for /readyz).
    public func recordConnectionStatus(_ s: ConnectionStatus) throws {
        try pool.write { db in
            try db.execute(sql: """
                INSERT INTO connection_status (name, state, detail, until, last_success_at, last_error_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (name) DO UPDATE SET state = excluded.state, detail = excluded.detail, until = excluded.until,
                    last_success_at = coalesce(excluded.last_success_at, last_success_at),
                    last_error_at = coalesce(excluded.last_error_at, last_error_at), updated_at = excluded.updated_at
                """, arguments: [s.name, s.state.rawValue, s.detail, s.until, s.lastSuccessAt, s.lastErrorAt, s.updatedAt])
        }
    }

    /// Every connection the server has recorded, by name.
    public func connectionStatuses() throws -> [ConnectionStatus] {
        try pool.read { db in try Self.connectionStatuses(db) }
    }

    static func connectionStatuses(_ db: Database) throws -> [ConnectionStatus] {
        guard try db.tableExists("connection_status") else { return [] }
        return try Row.fetchAll(db, sql: """
            SELECT name, state, detail, until, last_success_at, last_error_at, updated_at FROM connection_status ORDER BY name
            """).map {
            ConnectionStatus(name: $0[0], state: ConnectionStatus.State(rawValue: $0[1]) ?? .error, detail: $0[2],
                             until: $0[3], lastSuccessAt: $0[4], lastErrorAt: $0[5], updatedAt: $0[6])
        }
    }
}

extension InboxDatabase {
    /// Takes and releases the write lock: throws if this process cannot write the inbox now.
    public func checkWritable() throws {
        try pool.writeWithoutTransaction { db in
            try db.execute(sql: "BEGIN IMMEDIATE")
            try db.execute(sql: "ROLLBACK")
        }
    }
}

extension InboxDatabase {
    /// True when the message is in the inbox (the benchmarks' and tests' check).
    public func hasMessage(platform: String, externalID: String) throws -> Bool {
        try pool.read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM message WHERE platform = ? AND external_id = ?)",
                              arguments: [platform, externalID]) ?? false
        }
    }

    /// How many messages have an external id starting with `prefix`.
    public func countMessages(externalIDPrefix prefix: String) throws -> Int {
        try pool.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM message WHERE substr(external_id, 1, ?) = ?",
                             arguments: [prefix.utf8.count, prefix]) ?? 0
        }
    }
}
