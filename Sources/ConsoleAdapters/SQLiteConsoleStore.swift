import Console
import Foundation
import GRDB
import GRDBSQLite
import InboxModel
import Store

/// The console's view of the inbox, over SQLite: keyset pages, live counts, details.
///
/// Lane queues and Mine sort by priority, then newest first; Snoozed, Done and All by time.
/// Every list read is one page (`LIMIT`), never a whole queue.
public final class SQLiteConsoleStore: ConsoleStore, @unchecked Sendable {
    let inbox: InboxDatabase
    /// The role of the moderator this console runs for, recorded in every audit row.
    public let role: String
    /// How long a claim holds before the message returns to the queue.
    public var claimLease: TimeInterval = 600
    /// How long a queued reply stays `pending` (the undo window).
    public var undoWindow: TimeInterval = 10
    var now: () -> Date = Date.init
    /// Who reads through this store: opening a PHI-flagged message is audited under them.
    public var reader: String?
    /// Flag filters in a lane: a flag rare there (under this many messages) is read through the
    /// index of flagged messages and sorted, a common one by walking the lane in order, where
    /// matches come soon. Either way a page reads at most a few thousand index entries; walking
    /// the lane for a rare one read all of it (`flag:spam` in New: 200 ms at 1M).
    var fewFlagged = 2000
    /// A page stops looking after this long and shows what it found, with a hint to refine:
    /// a filter or search that matches almost nothing can otherwise read a whole lane.
    public var pageTimeLimit: TimeInterval = 0.25
    public private(set) var lastPageCutOff = false
    /// The role of the action in progress, read inside its transaction (`ModeratorActions`).
    var actingRole = ""
    /// The policy version the console's reply guard and templates come from, recorded with
    /// every action (asked at each action: the console loads its policies after its first frame).
    public var policyVersion: () -> String? = { nil }
    private var auditedPHIOpens = Set<Int64>()

    public init(inbox: InboxDatabase, role: String, reader: String? = nil) {
        self.inbox = inbox
        self.role = role
        self.reader = reader
    }

    static func ms(_ d: Date) -> Int64 { Int64((d.timeIntervalSince1970 * 1000).rounded()) }

    public func dataVersion() throws -> Int64 { try inbox.changeToken() }

    public func recordSession(_ event: SessionEvent, moderator: String) {
        _ = try? inbox.audit(AuditEvent(at: Self.ms(now()), moderator: moderator, role: role, action: event.rawValue))
    }

    public func connectionStatuses() throws -> [ConnectionStatus] { try inbox.connectionStatuses() }

    public func queueCounts(moderator: String) throws -> QueueCounts {
        try wakeSnoozed()
        return try inbox.pool.read { db in
            var counts: QueueCounts = [:]
            var total = 0, snoozed = 0, done = 0
            for row in try Row.fetchAll(db, sql: "SELECT lane, state, n FROM queue_count") {
                let lane: String = row["lane"], state: String = row["state"], n: Int = row["n"]
                total += n
                switch state {
                case "open": if let l = Lane(rawValue: lane), let q = QueueID(rawValue: l.rawValue) { counts[q, default: 0] += n }
                case "snoozed": snoozed += n
                default: done += n
                }
            }
            counts[.snoozed] = snoozed
            counts[.done] = done
            counts[.all] = total
            counts[.mine] = try Int.fetchOne(db, sql: """
                SELECT count(*) FROM message WHERE claimed_by = ? AND claim_expires_at > ? AND state = 'open'
                """, arguments: [moderator, Self.ms(now())]) ?? 0
            for q in QueueID.allCases where counts[q] == nil { counts[q] = 0 }
            return counts
        }
    }

    /// Snoozes that ran out go back to their queue (recorded, like every state change).
    func wakeSnoozed() throws {
        let t = Self.ms(now())
        let due = try inbox.pool.read { db in
            try Int64.fetchAll(db, sql: "SELECT id FROM message WHERE state = 'snoozed' AND state != 'open' AND snoozed_until <= ? LIMIT 500", arguments: [t])
        }
        guard !due.isEmpty else { return }
        try inbox.moderatorWrite { db in
            for id in due {
                try db.execute(sql: "UPDATE message SET state = 'open', snoozed_until = NULL WHERE id = ? AND state = 'snoozed'", arguments: [id])
                if db.changesCount == 1 {
                    try InboxDatabase.appendAudit(AuditEvent(at: t, moderator: "rounds", role: "system", action: "snooze_expired",
                                                             messageID: id, stateBefore: "snoozed", stateAfter: "open"), in: db)
                }
            }
        }
    }

    // MARK: Pages

    /// SQL for the rows of a queue and query, with its bound arguments.
    struct Selection {
        var conditions: [String] = []
        var arguments: [DatabaseValueConvertible?] = []
        var byPriority: Bool
        /// A full-text search: rows come from the FTS index, newest first by arrival (row id),
        /// so a common word over a million messages still stops after one page.
        var match: String?
        /// A lane filtered by flags: its conditions, to count how many messages match them.
        var flaggedInLane: (conditions: String, arguments: [DatabaseValueConvertible?])?
    }

    func selection(queue: QueueID, query: InboxQuery, moderator: String) -> Selection {
        var s = Selection(byPriority: queue.lane != nil || queue == .mine)
        if let lane = queue.lane {
            s.conditions.append("lane = ? AND state = 'open'")
            s.arguments.append(lane.rawValue)
        } else {
            switch queue {
            case .mine:
                s.conditions.append("claimed_by = ? AND claim_expires_at > ? AND state = 'open'")
                s.arguments += [moderator, Self.ms(now())]
            // "state != 'open'" lets SQLite use the partial index on handled states.
            case .snoozed: s.conditions.append("state = 'snoozed' AND state != 'open'")
            // Done, hidden and deleted, in the words of the partial index on them (Schema.v7).
            case .done: s.conditions.append("state != 'open' AND state != 'snoozed'")
            default: break
            }
        }
        func list<T>(_ column: String, _ f: FieldFilter<T>, _ value: (T) -> String) {
            if !f.include.isEmpty {
                s.conditions.append("\(column) IN (\(Array(repeating: "?", count: f.include.count).joined(separator: ",")))")
                s.arguments += f.include.map(value)
            }
            if !f.exclude.isEmpty {
                s.conditions.append("COALESCE(\(column), '') NOT IN (\(Array(repeating: "?", count: f.exclude.count).joined(separator: ",")))")
                s.arguments += f.exclude.map(value)
            }
        }
        list("platform", query.platforms) { $0.rawValue }
        list("kind", query.kinds) { $0.rawValue }
        list("state", query.states) { $0.rawValue }
        list("language", query.languages) { $0.lowercased() }
        list("lower(message.author_handle)", query.authors) { $0.lowercased() }
        // Flags as bits, which both indexes hold (Schema.v8): no row is read to test them. An
        // include is the list of flag sets with one of the flags, which the flagged index seeks.
        if !query.flags.include.isEmpty {
            let mask = FlagName.bits(query.flags.include)
            let sets: [DatabaseValueConvertible?] = (1...FlagName.bits(FlagName.allCases)).filter { $0 & mask != 0 }
            // "flag_set != 0" in the words of the flagged index's condition, which SQLite must see.
            let condition = "flag_set != 0 AND flag_set IN (\(Array(repeating: "?", count: sets.count).joined(separator: ",")))"
            s.conditions.append(condition)
            s.arguments += sets
            if let lane = queue.lane { s.flaggedInLane = ("lane = ? AND state = 'open' AND \(condition)", [lane.rawValue] + sets) }
        }
        if !query.flags.exclude.isEmpty {
            s.conditions.append("flag_set & ? = 0")
            s.arguments.append(FlagName.bits(query.flags.exclude))
        }
        if let after = query.receivedAfter { s.conditions.append("received_at >= ?"); s.arguments.append(Self.ms(after)) }
        if let before = query.receivedBefore { s.conditions.append("received_at < ?"); s.arguments.append(Self.ms(before)) }
        // Full text: every term quoted as an FTS5 phrase and bound, never spliced. Authors
        // also narrow the search through the index's author column (checked exactly above).
        var match = query.ftsMatchExpression()
        if !query.authors.include.isEmpty {
            let authors = query.authors.include.map { TextTerm(text: $0).ftsPhrase }.joined(separator: " OR ")
            match = (match.map { "(\($0)) AND " } ?? "") + "author_handle : (\(authors))"
        }
        if let match {
            s.match = match
            s.byPriority = false
        } else if let exclude = query.ftsExcludeExpression() {
            s.conditions.append("id NOT IN (SELECT rowid FROM message_fts WHERE message_fts MATCH ?)")
            s.arguments.append(exclude)
        }
        return s
    }

    public static let rowColumns = """
        message.id, platform, kind, visibility, state, lane, priority, message.author_handle, author_id,
        message.author_name, substr(message.text, 1, 240) AS snippet, received_at, claimed_by, claim_expires_at,
        (SELECT group_concat(flag || ':' || decision || ':' || COALESCE(severity, ''), ',') FROM message_flag f WHERE f.message_id = message.id) AS flags
        """

    public func page(queue: QueueID, query: InboxQuery, moderator: String, anchor: PageAnchor, limit: Int) throws -> [MessageRow] {
        let s = selection(queue: queue, query: query, moderator: moderator)
        let base = s.conditions.isEmpty ? "1" : s.conditions.joined(separator: " AND ")
        let limit = max(1, min(limit, 500))
        lastPageCutOff = false
        if let match = s.match { return try searchPage(s, match: match, base: base, anchor: anchor, limit: limit) }
        return try inbox.pool.read { db in try withTimeLimit(db) { read in
            var from = "message"
            if let flagged = s.flaggedInLane {
                var n = fewFlagged
                do {
                    n = try Int.fetchOne(db, sql: "SELECT count(*) FROM (SELECT 1 FROM message INDEXED BY message_flagged WHERE \(flagged.conditions) LIMIT ?)",
                                         arguments: StatementArguments(flagged.arguments + [fewFlagged])) ?? 0
                } catch let e as DatabaseError where e.resultCode == .SQLITE_INTERRUPT {}  // out of time: the page says so
                from += n < fewFlagged ? " INDEXED BY message_flagged" : " INDEXED BY message_by_lane"
            }
            func fetch(_ extra: String, _ extraArgs: [DatabaseValueConvertible?], order: String, limit: Int) throws -> [MessageRow] {
                let sql = "SELECT \(Self.rowColumns) FROM \(from) WHERE \(base)\(extra) ORDER BY \(order) LIMIT ?"
                return try read(Row.fetchCursor(db, sql: sql, arguments: StatementArguments(s.arguments + extraArgs + [limit]))) {
                    self.row($0, byPriority: s.byPriority)
                }
            }
            let down = "received_at DESC, id DESC", up = "received_at ASC, id ASC"
            // Keyset paging, with every condition a range the queue's index can seek to (an OR
            // of comparisons made SQLite walk the whole lane: 0.5 s a queue switch on 1M).
            // Within one priority: (received_at, id) compared as a row value; then the next
            // priorities, which `priority > ?` reaches directly.
            func forward(_ c: ListCursor?, inclusive: Bool) throws -> [MessageRow] {
                guard let c else {
                    return try fetch("", [], order: s.byPriority ? "priority ASC, " + down : down, limit: limit)
                }
                let t = Self.ms(c.receivedAt)
                let op = inclusive ? "<=" : "<"
                guard s.byPriority else {
                    return try fetch(" AND (received_at, id) \(op) (?, ?)", [t, c.id], order: down, limit: limit)
                }
                var rows = try fetch(" AND priority = ? AND (received_at, id) \(op) (?, ?)", [c.priority, t, c.id], order: down, limit: limit)
                if rows.count < limit && !lastPageCutOff {  // after a cut-off, no gap
                    rows += try fetch(" AND priority > ?", [c.priority], order: "priority ASC, " + down, limit: limit - rows.count)
                }
                return rows
            }
            func backward(_ c: ListCursor?) throws -> [MessageRow] {
                guard let c else {
                    return try fetch("", [], order: s.byPriority ? "priority DESC, " + up : up, limit: limit).reversed()
                }
                let t = Self.ms(c.receivedAt)
                guard s.byPriority else {
                    return try fetch(" AND (received_at, id) > (?, ?)", [t, c.id], order: up, limit: limit).reversed()
                }
                var rows = try fetch(" AND priority = ? AND (received_at, id) > (?, ?)", [c.priority, t, c.id], order: up, limit: limit)
                if rows.count < limit && !lastPageCutOff {  // after a cut-off, no gap
                    rows += try fetch(" AND priority < ?", [c.priority], order: "priority DESC, " + up, limit: limit - rows.count)
                }
                return rows.reversed()
            }
            switch anchor {
            case .start: return try forward(nil, inclusive: false)
            case .end: return try backward(nil)
            case .after(let c): return try forward(c, inclusive: false)
            case .from(let c): return try forward(c, inclusive: true)
            case .before(let c): return try backward(c)
            }
        } }
    }

    /// Runs `body` on `db` with a deadline of `pageTimeLimit`. `body` reads rows through the
    /// function it is given, which returns those read so far when the deadline interrupts
    /// SQLite (a progress handler checks the clock every 1,000 virtual machine steps).
    func withTimeLimit<T>(_ db: Database, _ body: (_ read: (RowCursor, (Row) -> MessageRow) throws -> [MessageRow]) throws -> T) throws -> T {
        var deadline = DispatchTime.now().uptimeNanoseconds + UInt64(max(0, pageTimeLimit) * 1e9)
        let connection = db.sqliteConnection
        return try withUnsafeMutablePointer(to: &deadline) { deadline in
            sqlite3_progress_handler(connection, 1000, { context in
                DispatchTime.now().uptimeNanoseconds > context!.assumingMemoryBound(to: UInt64.self).pointee ? 1 : 0
            }, deadline)
            defer { sqlite3_progress_handler(connection, 0, nil, nil) }
            return try body { cursor, make in
                var out: [MessageRow] = []
                do {
                    while let r = try cursor.next() { out.append(make(r)) }
                } catch let e as DatabaseError where e.resultCode == .SQLITE_INTERRUPT {
                    lastPageCutOff = true
                }
                return out
            }
        }
    }

    /// A page of search results: the FTS index yields matches newest first (by row id) and the
    /// other conditions filter them, so the query stops after `limit` rows.
    func searchPage(_ s: Selection, match: String, base: String, anchor: PageAnchor, limit: Int) throws -> [MessageRow] {
        var extra = ""
        var args: [DatabaseValueConvertible?] = [match] + s.arguments
        var ascending = false
        switch anchor {
        case .start: break
        case .end: ascending = true
        case .after(let c): extra = " AND message_fts.rowid < ?"; args.append(c.id)
        case .from(let c): extra = " AND message_fts.rowid <= ?"; args.append(c.id)
        case .before(let c): extra = " AND message_fts.rowid > ?"; args.append(c.id); ascending = true
        }
        let sql = """
            SELECT \(Self.rowColumns) FROM message_fts JOIN message ON message.id = message_fts.rowid
            WHERE message_fts MATCH ? AND \(base)\(extra)
            ORDER BY message_fts.rowid \(ascending ? "ASC" : "DESC") LIMIT ?
            """
        args.append(limit)
        let rows = try inbox.pool.read { db in
            try withTimeLimit(db) { read in
                try read(Row.fetchCursor(db, sql: sql, arguments: StatementArguments(args))) { self.row($0, byPriority: false) }
            }
        }
        return ascending ? rows.reversed() : rows
    }

    func row(_ r: Row, byPriority: Bool) -> MessageRow {
        let received = Date(timeIntervalSince1970: Double(r["received_at"] as Int64) / 1000)
        let priority: Int = r["priority"]
        var flags: [FlagName: Decision] = [:]
        var severity: String?
        if let list: String = r["flags"] {
            for item in list.split(separator: ",") {
                let parts = item.split(separator: ":", omittingEmptySubsequences: false)
                guard parts.count >= 2, let f = FlagName(rawValue: String(parts[0])), let d = Decision(rawValue: String(parts[1])) else { continue }
                flags[f] = d
                if f == .emergency, parts.count > 2, !parts[2].isEmpty { severity = String(parts[2]) }
            }
        }
        let claimExpiry: Int64? = r["claim_expires_at"]
        let claimed: String? = (claimExpiry ?? 0) > Self.ms(now()) ? r["claimed_by"] : nil
        let kind = MessageKind(rawValue: r["kind"]) ?? .comment
        return MessageRow(
            id: r["id"],
            cursor: ListCursor(priority: byPriority ? priority : 0, receivedAt: received, id: r["id"]),
            platform: Platform(rawValue: r["platform"]) ?? .facebook, kind: kind,
            visibility: Visibility(rawValue: r["visibility"]) ?? kind.defaultVisibility,
            state: MessageState(rawValue: r["state"]) ?? .open, lane: Lane(rawValue: r["lane"]) ?? .new,
            authorHandle: (r["author_handle"] as String?) ?? (r["author_name"] as String?) ?? (r["author_id"] as String?) ?? "unknown",
            flags: flags, emergencySeverity: severity, snippet: r["snippet"], receivedAt: received, claimedBy: claimed
        )
    }

    public func filter(ids: [Int64], queue: QueueID, query: InboxQuery, moderator: String) throws -> [Int64] {
        guard !ids.isEmpty else { return [] }
        var s = selection(queue: queue, query: query, moderator: moderator)
        var result: [Int64] = []
        for chunk in stride(from: 0, to: ids.count, by: 500) {
            let part = Array(ids[chunk..<min(chunk + 500, ids.count)])
            var conditions = s.conditions
            var args = s.arguments
            if let match = s.match {
                conditions.append("id IN (SELECT rowid FROM message_fts WHERE message_fts MATCH ?)")
                args.append(match)
            }
            conditions.append("id IN (\(Array(repeating: "?", count: part.count).joined(separator: ",")))")
            args += part.map { $0 as DatabaseValueConvertible? }
            result += try inbox.pool.read { db in
                try Int64.fetchAll(db, sql: "SELECT id FROM message WHERE \(conditions.joined(separator: " AND "))", arguments: StatementArguments(args))
            }
        }
        s.conditions = []
        let keep = Set(result)
        return ids.filter(keep.contains)
    }

    public func ids(queue: QueueID, query: InboxQuery, moderator: String, limit: Int) throws -> [Int64] {
        try page(queue: queue, query: query, moderator: moderator, anchor: .start, limit: min(limit, 500)).map(\.id)
    }

    public func detail(id: Int64) throws -> MessageDetail? {
        let detail = try readDetail(id: id)
        // Who looked at exposed patient information is part of the record (once per session).
        if let d = detail, let reader, d.row.flags[.phiExposure] != nil, !auditedPHIOpens.contains(id) {
            auditedPHIOpens.insert(id)
            try inbox.audit(AuditEvent(at: Self.ms(now()), moderator: reader, role: role, action: "open_phi", messageID: id,
                                       ruleIDs: d.classification.hit(.phiExposure)?.evidence.map(\.rule).joined(separator: ","),
                                       stateBefore: d.row.state.rawValue, stateAfter: d.row.state.rawValue))
        }
        return detail
    }

    func readDetail(id: Int64) throws -> MessageDetail? {
        try inbox.pool.read { db in
            guard let r = try Row.fetchOne(db, sql: "SELECT \(Self.rowColumns), text, language, classification, parent_id, post_id, external_id FROM message WHERE message.id = ?", arguments: [id]) else { return nil }
            let row = self.row(r, byPriority: true)
            var classification = Classification.unclassified
            if let json: String = r["classification"], let c = try? JSONDecoder().decode(Classification.self, from: Data(json.utf8)) {
                classification = c
            }
            var parentText: String?
            if let parent: String = r["parent_id"] ?? r["post_id"] {
                parentText = try String.fetchOne(db, sql: "SELECT text FROM message WHERE platform = ? AND external_id = ?", arguments: [row.platform.rawValue, parent])
            }
            var earlier = 0
            var lastAuthorAt: Date?
            if let author: String = r["author_id"] {
                // The author index first (CROSS JOIN keeps that order), then each message by id.
                let history = try Row.fetchOne(db, sql: """
                    SELECT count(*) FILTER (WHERE m.received_at < ?) AS earlier, max(m.received_at) AS last
                    FROM author_index a CROSS JOIN message m ON m.id = a.rowid
                    WHERE author_index MATCH \(Schema.authorKey(platform: "?", author: "?"))
                        AND m.platform = ? AND m.author_id = ?
                    """, arguments: [Self.ms(row.receivedAt), row.platform.rawValue, author, row.platform.rawValue, author])
                earlier = history?["earlier"] ?? 0
                if let t: Int64 = history?["last"] { lastAuthorAt = Date(timeIntervalSince1970: Double(t) / 1000) }
            }
            let notes = try Row.fetchAll(db, sql: "SELECT moderator, detail FROM action WHERE message_id = ? AND action = 'note' ORDER BY id", arguments: [id])
                .map { "\($0["moderator"] as String): \(($0["detail"] as String?) ?? "")" }
            return MessageDetail(row: row, text: r["text"], authorName: r["author_name"],
                                 language: (r["language"] as String?) ?? classification.language,
                                 classification: classification, parentText: parentText,
                                 authorEarlierCount: earlier, lastAuthorMessageAt: lastAuthorAt, notes: notes,
                                 deliveries: try Self.deliveries(of: id, in: db),
                                 connectionProblem: try Self.connectionProblem(row, externalID: r["external_id"], postID: r["post_id"], in: db))
        }
    }
}
