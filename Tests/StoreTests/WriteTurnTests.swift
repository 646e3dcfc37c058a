import Foundation
import GRDB
import InboxModel
@testable import Store
import XCTest

/// Moderators' writes go before ingest's next transaction. The turn is a POSIX record lock,
/// which never conflicts inside one process, so the other side is a real second process
/// (python3's `fcntl.lockf` takes the same kind of lock).
final class WriteTurnTests: InboxFolderTestCase {
    func python(_ script: String, _ args: [String]) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        p.arguments = ["-c", script] + args
        try p.run()
        return p
    }

    func waitFor(_ file: String) {
        for _ in 0..<5_000 where !FileManager.default.fileExists(atPath: file) { usleep(1_000) }
    }

    func message(_ id: String) -> ClassifiedMessage {
        ClassifiedMessage(IncomingMessage(platform: .x, kind: .mention, externalID: id, authorID: "a", authorHandle: "a",
                                          text: "hello", receivedAt: Date(timeIntervalSince1970: 1_764_000_000)))
    }

    /// GRDB sets a pool's writer to `synchronous=NORMAL` after `prepareDatabase`; moderators'
    /// writes must commit with FULL (an acknowledged action survives power loss), and only
    /// ingest's own transactions go without the fsync.
    func testModeratorWritesCommitWithFullSyncAndIngestOnlyInsideItsTransactions() throws {
        let inbox = try InboxDatabase(path: path)
        let full = 2, normal = 1
        XCTAssertEqual(try inbox.moderatorWrite { try Int.fetchOne($0, sql: "PRAGMA synchronous") }, full)
        XCTAssertEqual(try inbox.ingestWrite { try Int.fetchOne($0, sql: "PRAGMA synchronous") }, normal)
        try inbox.store([message("1")])
        XCTAssertEqual(try inbox.moderatorWrite { try Int.fetchOne($0, sql: "PRAGMA synchronous") }, full)
        // A failed ingest transaction also gives the connection back with FULL, and rolls back.
        struct Failed: Error {}
        XCTAssertThrowsError(try inbox.ingestWrite { db -> Void in
            try db.execute(sql: "DELETE FROM message")
            throw Failed()
        })
        XCTAssertEqual(try inbox.moderatorWrite { try Int.fetchOne($0, sql: "PRAGMA synchronous") }, full)
        XCTAssertEqual(try inbox.moderatorWrite { try Int.fetchOne($0, sql: "SELECT count(*) FROM message") }, 1)
        try inbox.syncCommitted()
    }

    func testIngestWaitsWhileAModeratorInAnotherProcessHoldsTheTurn() throws {
        let inbox = try InboxDatabase(path: path)
        let held = dir.appendingPathComponent("held").path, released = dir.appendingPathComponent("released").path
        // The "moderator" takes the turn, then notes that it lets go just before it does.
        let moderator = try python("""
            import fcntl, sys, time
            f = open(sys.argv[1], 'r+')
            fcntl.lockf(f, fcntl.LOCK_SH, 1, 0)
            open(sys.argv[2], 'w').close()
            time.sleep(0.3)
            open(sys.argv[3], 'w').close()
            fcntl.lockf(f, fcntl.LOCK_UN, 1, 0)
            """, [path + "-turn", held, released])
        waitFor(held)
        XCTAssertTrue(FileManager.default.fileExists(atPath: held))
        XCTAssertEqual(try inbox.store([message("m1")]), [.inserted])
        XCTAssertTrue(FileManager.default.fileExists(atPath: released), "the batch waited for the moderator's turn")
        moderator.waitUntilExit()
        try inbox.mergeIndexes()
        let mode = try FileManager.default.attributesOfItem(atPath: path + "-turn")[.posixPermissions] as? NSNumber
        XCTAssertEqual(mode?.intValue, 0o660, "not world-readable, like the inbox")
    }

    func testAModeratorWriteHoldsTheTurnUntilItCommits() throws {
        let inbox = try InboxDatabase(path: path)
        // Exit status 1 when the turn is held by another process, 0 when it is free.
        let probe = """
            import fcntl, sys
            f = open(sys.argv[1], 'r+')
            try:
                fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 0)
            except OSError:
                sys.exit(1)
            """
        func turnIsHeld() throws -> Bool {
            let p = try python(probe, [path + "-turn"])
            p.waitUntilExit()
            return p.terminationStatus == 1
        }
        XCTAssertFalse(try turnIsHeld())
        let during = try inbox.moderatorWrite { db in
            try db.execute(sql: "INSERT INTO setting (key, value) VALUES ('k', 'v')")
            return try turnIsHeld()
        }
        XCTAssertTrue(during)
        XCTAssertFalse(try turnIsHeld(), "let go after the commit")
        XCTAssertEqual(try inbox.setting("k"), "v")
    }
}
