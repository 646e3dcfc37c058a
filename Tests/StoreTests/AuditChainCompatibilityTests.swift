import Foundation
import GRDB
import InboxModel
@testable import Store
import XCTest

/// The audit chain's format must outlive its implementation: `Tests/Fixtures/audit-chain-recorded.json`
/// is the `action` table of an inbox written by the release whose SHA-256 was hand-made (40
/// ingested messages, two moderators' claims, replies, hides and closes, an export with
/// text; `sqlite3 -json`). Today's code, with swift-crypto, must verify it and extend it.
final class AuditChainCompatibilityTests: InboxFolderTestCase {
    func recordedRows() throws -> [[String: Any]] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/audit-chain-recorded.json")
        let rows = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [[String: Any]]
        return try XCTUnwrap(rows)
    }

    /// Each recorded hash is the hash today's code computes from the row and its predecessor.
    func testEveryRecordedHashIsRecomputedExactly() throws {
        let rows = try recordedRows()
        XCTAssertEqual(rows.count, 23)
        var prev = String(repeating: "0", count: 64)
        for r in rows {
            var e = AuditEvent(at: try XCTUnwrap(r["at"] as? Int64), moderator: try XCTUnwrap(r["moderator"] as? String),
                               role: try XCTUnwrap(r["role"] as? String), action: try XCTUnwrap(r["action"] as? String),
                               messageID: r["message_id"] as? Int64, reasonCode: r["reason_code"] as? String,
                               templateID: r["template_id"] as? String, ruleIDs: r["rule_ids"] as? String,
                               detail: r["detail"] as? String, stateBefore: r["state_before"] as? String,
                               stateAfter: r["state_after"] as? String, outboxID: r["outbox_id"] as? Int64,
                               undoes: r["undoes"] as? Int64)
            e.id = try XCTUnwrap(r["id"] as? Int64)
            XCTAssertEqual(r["prev_hash"] as? String, prev, "event \(e.id)")
            let hash = AuditEvent.chainHash(prev: prev, canonical: e.canonical)
            XCTAssertEqual(hash, r["hash"] as? String, "event \(e.id)")
            prev = hash
        }
    }

    /// The recorded rows in a new inbox verify as an intact chain, and an event appended by
    /// today's code chains onto them.
    func testARecordedLogVerifiesAndGrows() throws {
        let inbox = try InboxDatabase(path: path)
        let columns = ["id", "at", "moderator", "role", "action", "message_id", "reason_code", "template_id", "rule_ids",
                       "detail", "state_before", "state_after", "outbox_id", "undoes", "prev_hash", "hash"]
        let rows = try recordedRows()
        try inbox.pool.write { db in
            for r in rows {
                let values: [DatabaseValueConvertible?] = columns.map { c in
                    switch r[c] {
                    case let v as Int64: v
                    case let v as Int: Int64(v)
                    case let v as String: v
                    default: nil
                    }
                }
                try db.execute(sql: "INSERT INTO action (\(columns.joined(separator: ", "))) VALUES (\(columns.map { _ in "?" }.joined(separator: ", ")))",
                               arguments: StatementArguments(values))
            }
        }
        XCTAssertEqual(try inbox.verifyAuditChain(), .intact(events: 23))
        try inbox.audit(AuditEvent(at: 1_800_000_000_000, moderator: "ana", role: "lead", action: "note", detail: "after the upgrade"))
        XCTAssertEqual(try inbox.verifyAuditChain(), .intact(events: 24))

        // A recorded row changed afterwards is still caught.
        try inbox.pool.writeWithoutTransaction { db in
            try db.execute(sql: "DROP TRIGGER action_is_append_only_update")
            try db.execute(sql: "UPDATE action SET moderator = 'mallory' WHERE id = 5")
        }
        guard case .broken(_, let id, _) = try inbox.verifyAuditChain() else { return XCTFail("edit not detected") }
        XCTAssertEqual(id, 5)
    }

    /// SHA-256 itself, on the NIST vectors, fed whole and in uneven pieces.
    func testDigestMatchesNISTVectors() {
        XCTAssertEqual(InboxDigest.sha256Hex(Array("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(InboxDigest.sha256Hex([UInt8]()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        let text = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        var stream = InboxDigest.Stream()
        var i = 0
        for size in [1, 7, 2, 64] where i < text.count {
            stream.update(text[i..<min(text.count, i + size)])
            i += size
        }
        stream.update(text[min(i, text.count)...])
        XCTAssertEqual(stream.finalize(), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }
}
