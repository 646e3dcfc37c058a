import Console
@testable import ConsoleAdapters
import Foundation
import GRDB
import InboxModel
@testable import Store
import XCTest

/// The inbox on real SQLite files in a temporary folder.
final class StoreTests: InboxFolderTestCase {
    func message(_ id: String, _ text: String, event: PlatformEvent = .created, platform: Platform = .facebook) -> ClassifiedMessage {
        ClassifiedMessage(IncomingMessage(
            platform: platform, kind: .comment, externalID: id, authorID: "a1", authorHandle: "ana",
            authorName: "Ana", text: text, receivedAt: Date(timeIntervalSince1970: 1_764_000_000), event: event
        ))
    }

    func rows(_ inbox: InboxDatabase, _ sql: String) throws -> [Row] {
        try inbox.pool.read { try Row.fetchAll($0, sql: sql) }
    }

    func testSameExternalIDTwiceIsOneMessage() throws {
        let inbox = try InboxDatabase(path: path)
        XCTAssertEqual(try inbox.store([message("c1", "hello")]), [.inserted])
        XCTAssertEqual(try inbox.store([message("c1", "hello"), message("c1", "hello")]), [.duplicate, .duplicate])
        // The same id on another platform is another message.
        XCTAssertEqual(try inbox.store([message("c1", "hello", platform: .instagram)]), [.inserted])
        XCTAssertEqual(try inbox.stats().messages, 2)
    }

    func testEditKeepsEarlierVersionAndUpdatesSearch() throws {
        let inbox = try InboxDatabase(path: path)
        try inbox.store([message("c1", "my knee hurts")])
        XCTAssertEqual(try inbox.store([message("c1", "my elbow hurts", event: .edited)]), [.updated])
        XCTAssertEqual(try inbox.store([message("c1", "my elbow hurts", event: .edited)]), [.duplicate])
        let m = try XCTUnwrap(rows(inbox, "SELECT text, edited_at FROM message").first)
        XCTAssertEqual(m["text"] as String, "my elbow hurts")
        XCTAssertNotNil(m["edited_at"] as Int64?)
        XCTAssertEqual(try rows(inbox, "SELECT text FROM message_version").map { $0["text"] as String }, ["my knee hurts"])
        XCTAssertEqual(try rows(inbox, "SELECT rowid FROM message_fts WHERE message_fts MATCH 'elbow'").count, 1)
        XCTAssertEqual(try rows(inbox, "SELECT rowid FROM message_fts WHERE message_fts MATCH 'knee'").count, 0)
    }

    func testRemoveAndHideMarkButNeverDelete() throws {
        let inbox = try InboxDatabase(path: path)
        try inbox.store([message("c1", "rude words")])
        XCTAssertEqual(try inbox.store([message("c1", "", event: .hidden)]), [.updated])
        XCTAssertEqual(try inbox.store([message("c1", "", event: .removed)]), [.updated])
        XCTAssertEqual(try inbox.store([message("c1", "", event: .removed)]), [.duplicate])
        let m = try XCTUnwrap(rows(inbox, "SELECT text, removed_on_platform, hidden_on_platform FROM message").first)
        XCTAssertEqual(m["text"] as String, "rude words")
        XCTAssertEqual(m["removed_on_platform"] as Bool, true)
        XCTAssertEqual(m["hidden_on_platform"] as Bool, true)
        // A removal of a message never seen is still recorded.
        XCTAssertEqual(try inbox.store([message("c2", "", event: .removed)]), [.inserted])
        XCTAssertEqual(try inbox.stats().removedOnPlatform, 2)
    }

    /// Ingest stores a batch in more than one transaction when one runs over its time budget:
    /// each takes the front of what is left (at least one message), the rejections go in with
    /// the first, and every part is indexed for search and counted in its queue.
    func testStoringTheFrontOfABatchWithinATimeBudget() throws {
        let inbox = try InboxDatabase(path: path)
        let batch = (1...5).map { message("d\($0)", "knee pain number \($0)") }
        let rejection = Rejection(sourceFile: "a.jsonl", line: 3, location: "text", reason: "bad", raw: Data("x".utf8))
        var rest = batch[...]
        var outcomes: [StoreOutcome] = []
        var transactions = 0
        while !rest.isEmpty {
            // No time at all: one message per transaction.
            let done = try inbox.store(front: rest, rejections: transactions == 0 ? [rejection] : [], insertingFor: .nanoseconds(0))
            XCTAssertEqual(done.count, 1)
            outcomes += done
            rest = rest.dropFirst(done.count)
            transactions += 1
        }
        XCTAssertEqual(transactions, 5)
        XCTAssertEqual(outcomes, Array(repeating: .inserted, count: 5))
        XCTAssertEqual(try inbox.stats().rejectedRecords, 1)
        XCTAssertEqual(try rows(inbox, "SELECT rowid FROM message_fts WHERE message_fts MATCH 'knee'").count, 5)
        XCTAssertEqual(try rows(inbox, "SELECT external_id FROM message ORDER BY id").map { $0[0] as String }, ["d1", "d2", "d3", "d4", "d5"])
        XCTAssertEqual(try rows(inbox, "SELECT sum(n) FROM queue_count WHERE state = 'open'").first?[0] as Int?, 5)
        // Time enough: the whole batch in one transaction.
        XCTAssertEqual(try inbox.store(front: batch[1...], insertingFor: .seconds(60)), Array(repeating: .duplicate, count: 4))
    }

    func testRejectionsAreKept() throws {
        let inbox = try InboxDatabase(path: path)
        try inbox.store([], rejections: [Rejection(sourceFile: "a.jsonl", line: 7, location: "text", reason: "bad", raw: Data([0xFF, 0]))])
        XCTAssertEqual(try inbox.stats().rejectedRecords, 1)
        let r = try XCTUnwrap(try inbox.rejectedRecords().first)
        XCTAssertEqual(r.line, 7)
        XCTAssertEqual(r.raw, Data([0xFF, 0]))
    }

    func testClassificationSetsLanePriorityAndFlags() throws {
        let inbox = try InboxDatabase(path: path)
        var m = message("e1", "chest pain right now")
        m.classification = Classification(language: "en", sentiment: .negative, flags: [
            FlagHit(flag: .emergency, decision: .act, score: 0.97, severity: "imminent", category: "medical", evidence: []),
            FlagHit(flag: .offensive, decision: .flag, score: 0.6, severity: "1", category: "profane", evidence: []),
        ], template: "emergency_911_en")
        m.policyVersion = "abc"
        try inbox.store([m])
        let row = try XCTUnwrap(rows(inbox, "SELECT lane, priority, language, policy_version FROM message").first)
        XCTAssertEqual(row["lane"] as String, "urgent")
        XCTAssertEqual(row["priority"] as Int, 0)
        XCTAssertEqual(row["language"] as String, "en")
        XCTAssertEqual(row["policy_version"] as String, "abc")
        XCTAssertEqual(try rows(inbox, "SELECT flag FROM message_flag ORDER BY flag").map { $0["flag"] as String }, ["emergency", "offensive"])
    }

    func testNewFileIsNotWorldReadableAndWorldReadableIsRefused() throws {
        let old = umask(0o022)
        defer { umask(old) }
        _ = try InboxDatabase(path: path)
        for suffix in ["", "-wal", "-shm"] {
            var st = stat()
            if stat(path + suffix, &st) == 0 {
                XCTAssertEqual(st.st_mode & 0o777, 0o660, "\(suffix) mode \(String(st.st_mode & 0o777, radix: 8))")
            } else {
                XCTAssertNotEqual(suffix, "", "the database file exists")
            }
        }
        chmod(path, 0o644)
        XCTAssertThrowsError(try InboxDatabase(path: path)) { error in
            XCTAssertEqual(error as? StoreError, .worldReadable(path: path, mode: 0o644))
            XCTAssertTrue("\(error)".contains("chmod o-rwx"))
        }
    }

    func testMissingFolderIsAClearError() {
        XCTAssertThrowsError(try InboxDatabase(path: dir.appendingPathComponent("nope/inbox.sqlite").path)) { error in
            XCTAssertTrue("\(error)".contains("does not exist"), "\(error)")
        }
    }

    func testMigrationsOnEmptyFileAndFromPreviousVersion() throws {
        // An empty file created by someone else (e.g. `touch`) is migrated.
        FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
        XCTAssertEqual(try InboxDatabase(path: path).schemaVersion(), Schema.migrator.migrations.count)

        // A file at the previous schema version keeps its rows when upgraded, and the
        // new queue counters start from them.
        let v1path = dir.appendingPathComponent("v1.sqlite").path
        do {
            let queue = try DatabaseQueue(path: v1path)
            try Schema.migrator.migrate(queue, upTo: "v2-classification")
            try queue.write { db in
                try db.execute(sql: """
                    INSERT INTO message (platform, kind, external_id, text, received_at, visibility, ingested_at, lane, author_id)
                    VALUES ('x', 'mention', '77', 'old message', 1, 'public', 1, 'new', 'u7'),
                           ('x', 'mention', '78', 'help now', 2, 'public', 1, 'urgent', 'u7');
                    INSERT INTO message_fts (rowid, text) SELECT id, text FROM message;
                    INSERT INTO message_flag (message_id, flag, decision, score)
                    VALUES (2, 'emergency', 'act', 0.9), (2, 'spam', 'review', 0.3);
                    """)
            }
            try queue.close()
        }
        chmod(v1path, 0o600)
        do {  // a big inbox is told it is being upgraded; a small one is upgraded silently
            let pool = try DatabasePool(path: v1path)
            XCTAssertEqual(try InboxDatabase.slowUpgrade(pool, path: "in.sqlite", above: 1),
                           "upgrading in.sqlite to schema v\(Schema.migrator.migrations.count): once, about 60 s per million messages")
            XCTAssertNil(try InboxDatabase.slowUpgrade(pool, path: "in.sqlite"))
            try pool.close()
        }
        var notices: [String] = []
        let upgraded = try InboxDatabase(path: v1path, upgradeNotice: { notices.append($0) })
        XCTAssertEqual(notices, [], "two messages: no notice")
        XCTAssertEqual(try upgraded.schemaVersion(), Schema.migrator.migrations.count)
        XCTAssertEqual(try rows(upgraded, "SELECT lane, n FROM queue_count WHERE n > 0 ORDER BY lane").map { "\($0["lane"] as String)=\($0["n"] as Int)" },
                       ["new=1", "urgent=1"])
        let row = try XCTUnwrap(rows(upgraded, "SELECT text, lane, priority FROM message").first)
        XCTAssertEqual(row["text"] as String, "old message")
        XCTAssertEqual(row["lane"] as String, "new")
        XCTAssertEqual(row["priority"] as Int, 3)
        XCTAssertEqual(try rows(upgraded, "SELECT rowid FROM message_fts WHERE message_fts MATCH 'old'").count, 1)
        XCTAssertEqual(try rows(upgraded, "SELECT rowid FROM message_fts WHERE message_fts MATCH 'help'").count, 1)
        // v9: the rebuilt text index keeps no sizes per message; both indexes merge 16 at a time.
        XCTAssertEqual(try rows(upgraded, "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'message_fts_%' ORDER BY name").map { $0["name"] as String },
                       ["message_fts_config", "message_fts_data", "message_fts_idx"])
        XCTAssertEqual(try rows(upgraded, "SELECT name FROM sqlite_master WHERE name = 'message_flag_by_flag'").count, 0)
        XCTAssertEqual(try upgraded.stats().byFlag.map { "\($0.0)=\($0.1)" }, ["emergency=1"], "counted by a scan of the flags")
        for index in ["message_fts", "author_index"] {
            XCTAssertEqual(try rows(upgraded, "SELECT k, v FROM \(index)_config WHERE k != 'version' ORDER BY k").map { "\($0["k"] as String)=\($0["v"] as Int)" },
                           ["automerge=0", "crisismerge=64", "usermerge=16"], index)
        }
        XCTAssertEqual(try upgraded.stats().messages, 2)
        // The author index is built from the rows already there.
        let later = try XCTUnwrap(rows(upgraded, "SELECT id FROM message WHERE external_id = '78'").first)["id"] as Int64
        XCTAssertEqual(try SQLiteConsoleStore(inbox: upgraded, role: "moderator").detail(id: later)?.authorEarlierCount, 1)
        // Flag filters read the flag bits, built from the flags already stored.
        XCTAssertEqual(try rows(upgraded, "SELECT flag_set FROM message ORDER BY id").map { $0["flag_set"] as Int64 },
                       [0, FlagName.emergency.bit | FlagName.spam.bit])
        var spam = InboxQuery()
        spam.flags = FieldFilter(include: [.spam])
        XCTAssertEqual(try SQLiteConsoleStore(inbox: upgraded, role: "moderator")
            .page(queue: .all, query: spam, moderator: "ana", anchor: .start, limit: 10).map(\.id), [later])
    }

    func testEveryTextIsStoredExactlyWhateverItsSize() throws {
        // Sizes around the binding arena's limits (16 KB in a shared chunk, 64 KB chunks).
        let sizes = [0, 1, 15_000, 16_384, 16_385, 40_000, 100_000]
        let inbox = try InboxDatabase(path: path)
        var batch: [ClassifiedMessage] = []
        for (i, n) in sizes.enumerated() {
            var m = message("s\(i)", String(repeating: "é", count: n / 2) + String(repeating: "x", count: n % 2))
            m.message.rawPayload = String(repeating: "{", count: 16_000 + i)
            m.classification = Classification(language: "en", sentiment: .neutral, flags: [
                FlagHit(flag: .spam, decision: .review, score: 0.2, category: String(repeating: "c", count: n / 4), evidence: []),
            ], template: nil)
            m.prepareColumns()
            batch.append(m)
        }
        try inbox.store(batch)
        let stored = try rows(inbox, "SELECT m.text, m.raw_payload, m.classification, f.category FROM message m JOIN message_flag f ON f.message_id = m.id ORDER BY m.id")
        XCTAssertEqual(stored.count, sizes.count)
        for (m, row) in zip(batch, stored) {
            XCTAssertEqual(row["text"] as String, m.message.text)
            XCTAssertEqual(row["raw_payload"] as String, m.message.rawPayload)
            XCTAssertEqual(row["classification"] as String, m.classification?.json)
            XCTAssertEqual(row["category"] as String, m.classification?.flags[0].category)
        }
    }

    func testChangeTokenSeesOtherConnectionsWrites() throws {
        let a = try InboxDatabase(path: path)
        let b = try InboxDatabase(path: path)
        let before = try a.changeToken()
        XCTAssertEqual(try a.changeToken(), before, "no writes, no change")
        try b.store([message("c9", "from another process")])
        XCTAssertNotEqual(try a.changeToken(), before)
        let mid = try a.changeToken()
        try a.store([message("c10", "from this connection")])
        XCTAssertNotEqual(try a.changeToken(), mid)
    }
}

/// The hand-written classification JSON reads back exactly as written.
final class ClassificationJSONTests: XCTestCase {
    func testRoundTripsThroughCodable() throws {
        let c = Classification(language: "es", sentiment: .mixed, flags: [
            FlagHit(flag: .emergency, decision: .review, score: 0.4125, severity: "urgent", category: "suicide", evidence: [
                Evidence(rule: "emergency.\"quoted\"", file: "Policies/lists/es/crisis.txt", span: [3, 17],
                         text: "me quiero morir\n\t\u{1B}[2J\u{0}\\ 👨‍👩‍👧", modifiers: ["figurative", "experiencer:self"], contribution: 0.3),
            ]),
            FlagHit(flag: .reviewFeedback, decision: .act, score: 1, evidence: []),
        ], template: nil)
        let decoded = try JSONDecoder().decode(Classification.self, from: Data(c.json.utf8))
        XCTAssertEqual(decoded, c)
        XCTAssertFalse(c.json.contains("\u{1B}"), "controls are escaped")
        var t = c
        t.template = "emergency_988_es"
        XCTAssertEqual(try JSONDecoder().decode(Classification.self, from: Data(t.json.utf8)), t)
    }
}

/// Text bound in place: every copy keeps its bytes until the arena is reset.
final class BindingArenaTests: XCTestCase {
    func testCopiesStayIntactAcrossChunksAndLargeTexts() {
        let arena = BindingArena()
        // Five 15 KB texts fill more than one 64 KB chunk; 100 KB goes to a block of its own.
        let texts = (0..<5).map { i in [UInt8](repeating: UInt8(65 + i), count: 15_000) }
            + [[UInt8](repeating: 0x7A, count: 100_000), [], Array("ñ 🙂".utf8)]
        var copies: [UnsafePointer<CChar>] = []
        for t in texts { copies.append(t.withUnsafeBufferPointer { arena.copy($0) }) }
        for (t, p) in zip(texts, copies) {
            let back = p.withMemoryRebound(to: UInt8.self, capacity: max(t.count, 1)) { Array(UnsafeBufferPointer(start: $0, count: t.count)) }
            XCTAssertEqual(back, t)
        }
        XCTAssertEqual(Set(copies.map { UnsafeRawPointer($0) }).count, copies.count - 1, "only the empty copy may share an address")
        arena.reset()
        let again = Array("after reset".utf8)
        let p = again.withUnsafeBufferPointer { arena.copy($0) }
        XCTAssertEqual(UnsafeRawPointer(p), UnsafeRawPointer(copies[0]), "memory is reused")
        XCTAssertEqual(String(decoding: UnsafeRawBufferPointer(start: p, count: again.count), as: UTF8.self), "after reset")
    }
}
