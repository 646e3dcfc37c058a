import Foundation
import GRDB
import InboxModel
@testable import Store
import XCTest

/// Audit-log tampering the battery (`scripts/battery`, R7) found `audit verify` missed or
/// crashed on: each edit is made the way someone with the sqlite3 CLI would make it.
final class AuditTamperTests: InboxFolderTestCase {
    /// An inbox with four audit events (no reason code, template or detail on the second).
    func logged() throws -> InboxDatabase {
        let inbox = try InboxDatabase(path: path)
        for (i, action) in ["claim", "done", "export", "note"].enumerated() {
            try inbox.audit(AuditEvent(at: 1_764_000_000_000 + Int64(i), moderator: "ana", role: "moderator", action: action,
                                       messageID: i == 2 ? nil : 7, detail: i == 3 ? "called back" : nil))
        }
        XCTAssertEqual(try inbox.verifyAuditChain(), .intact(events: 4))
        return inbox
    }

    func tamper(_ inbox: InboxDatabase, _ sql: String) throws {
        try inbox.pool.writeWithoutTransaction { db in
            try db.execute(sql: "DROP TRIGGER IF EXISTS action_is_append_only_update; DROP TRIGGER IF EXISTS action_is_append_only_delete")
            try db.execute(sql: sql)
        }
    }

    /// NULL and the text "␀" hashed alike, so turning a missing value into "␀" (or back) kept the chain intact.
    func testNullAndTheNullMarkerTextAreDifferent() throws {
        for column in ["reason_code", "template_id", "detail", "state_before"] {
            try? FileManager.default.removeItem(atPath: path)
            let inbox = try logged()
            try tamper(inbox, "UPDATE action SET \(column) = '\u{2400}' WHERE id = 2")
            guard case let .broken(_, id, _) = try inbox.verifyAuditChain() else { return XCTFail("\(column): NULL -> '␀' not detected") }
            XCTAssertEqual(id, 2)
        }
    }

    /// With NOT NULL taken off the schema (PRAGMA writable_schema), a NULL `at` made
    /// `audit verify` (and `audit`) stop on a fatal error instead of reporting the tampering.
    func testValuesOfTheWrongTypeAreReportedNotFatal() throws {
        let cases = ["UPDATE action SET at = NULL WHERE id = 3", "UPDATE action SET moderator = NULL WHERE id = 3",
                     "UPDATE action SET hash = NULL WHERE id = 3", "UPDATE action SET at = 1.5 WHERE id = 3",
                     "UPDATE action SET message_id = 'seven' WHERE id = 3", "UPDATE action SET detail = X'00FF' WHERE id = 3"]
        for sql in cases {
            try? FileManager.default.removeItem(atPath: path)
            let inbox = try logged()
            try inbox.pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA writable_schema = ON")
                try db.execute(sql: """
                    UPDATE sqlite_schema SET sql = replace(replace(replace(sql, 'at INTEGER NOT NULL', 'at INTEGER'),
                        'moderator TEXT NOT NULL', 'moderator TEXT'), 'hash TEXT NOT NULL', 'hash TEXT') WHERE name = 'action'
                    """)
                try db.execute(sql: "PRAGMA writable_schema = OFF")
            }
            let reopened = try InboxDatabase(path: path)
            try tamper(reopened, sql)
            guard case let .broken(_, id, reason) = try reopened.verifyAuditChain() else { return XCTFail("not detected: \(sql)") }
            XCTAssertEqual(id, 3, sql)
            XCTAssertTrue(reason.contains("event 3"), reason)
            XCTAssertEqual(try reopened.auditEvents().count, 4, "listing the log must not stop either")
        }
    }
}
