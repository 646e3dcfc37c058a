import Foundation
import XCTest

/// Eight moderators (real processes) work one inbox while ingest adds to it: no message is
/// claimed by two of them, none gets two replies, nobody sees "database is locked", and every
/// acknowledged action is in the database with its audit row.
final class SharedShiftTests: XCTestCase {
    func testEightModeratorsAndIngestOnOneInbox() throws {
        let moderators = ["ana", "bo", "cy", "di", "ed", "flo", "gus", "hal"]
        let tmp = try TempDir()
        let db = tmp.path("shift.sqlite")
        let first = tmp.path("first.jsonl"), second = tmp.path("second.jsonl")
        XCTAssertEqual(try CLI.run(["bench", "generate", "--messages", "400", "--seed", "7", "-o", first]).status, 0)
        XCTAssertEqual(try CLI.run(["bench", "generate", "--messages", "3000", "--seed", "8", "-o", second]).status, 0)
        // The second file reuses ids syn-0...: give it its own.
        let renamed = try String(contentsOfFile: second, encoding: .utf8).replacingOccurrences(of: "\"id\":\"syn-", with: "\"id\":\"late-")
        try Data(renamed.utf8).write(to: URL(fileURLWithPath: second))
        XCTAssertEqual(try CLI.run(["ingest", "--db", db, first]).status, 0)

        // Start everyone at once: an ingest and four moderators.
        var procs: [(String, Process, Pipe, Pipe)] = []
        func start(_ name: String, _ args: [String]) throws {
            let p = Process()
            p.executableURL = CLI.binary
            p.arguments = args
            let out = Pipe(), err = Pipe()
            p.standardOutput = out
            p.standardError = err
            try p.run()
            procs.append((name, p, out, err))
        }
        try start("ingest", ["ingest", "--db", db, "--batch", "200", second])
        for name in moderators {
            try start(name, ["bench", "shift", "--db", db, "--as", name, "--actions", "40"])
        }
        var outputs: [String: (String, String)] = [:]
        for (name, p, out, err) in procs {
            let o = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            let e = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            XCTAssertEqual(p.terminationStatus, 0, "\(name): \(e)")
            XCTAssertFalse((o + e).lowercased().contains("locked"), "\(name) saw a lock error: \(e)")
            outputs[name] = (o, e)
        }
        XCTAssertTrue(outputs["ingest"]?.0.contains("ingested 3000 new") == true, outputs["ingest"]?.0 ?? "")

        // Acknowledged actions, as the processes reported them.
        var claimsByMessage: [Int: Set<String>] = [:]
        var acknowledged: [(String, String, Int)] = []
        for name in moderators {
            for line in outputs[name]!.0.split(separator: "\n") {
                guard let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                      let action = o["action"] as? String, let message = o["message"] as? Int else { continue }
                if action == "claim" { claimsByMessage[message, default: []].insert(name) }
                if ["reply", "hide", "done"].contains(action) { acknowledged.append((name, action, message)) }
            }
        }
        XCTAssertEqual(acknowledged.count, 40 * moderators.count, "every moderator finished its 40 actions")
        XCTAssertTrue(claimsByMessage.values.allSatisfy { $0.count == 1 }, "a message claimed by two moderators: \(claimsByMessage.filter { $0.value.count > 1 })")

        // The database agrees: one live reply per message, an audit row per acknowledged action.
        let sql = """
            SELECT (SELECT count(*) FROM (SELECT message_id FROM outbox WHERE state != 'cancelled' AND action = 'reply' GROUP BY message_id HAVING count(*) > 1)),
                   (SELECT count(*) FROM action WHERE action IN ('reply_queued', 'hide', 'done')),
                   (SELECT count(*) FROM action WHERE action = 'claim'),
                   (SELECT count(*) FROM message)
            """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        p.arguments = [db, sql]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        p.waitUntilExit()
        let figures = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(figures, "0|\(40 * moderators.count)|\(claimsByMessage.count)|3400")
        let verify = try CLI.run(["audit", "verify", "--db", db])
        XCTAssertEqual(verify.status, 0, verify.stdout)
    }
}
