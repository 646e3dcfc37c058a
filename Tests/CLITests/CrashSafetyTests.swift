import Foundation
import XCTest

/// `kill -9` in the middle of an ingest: the file stays intact, and ingesting the same input
/// again completes it with no message lost and none twice.
final class CrashSafetyTests: XCTestCase {
    func testKillDuringIngestLosesNothingAndDuplicatesNothing() throws {
        let tmp = try TempDir()
        let input = tmp.path("in.jsonl")
        XCTAssertEqual(try CLI.run(["bench", "generate", "--messages", "12000", "--seed", "3", "-o", input]).status, 0)
        let db = tmp.path("inbox.sqlite")
        let body = try Data(contentsOf: URL(fileURLWithPath: input))
        // Ingest reads its input from a pipe this test keeps open, so it can never finish on its
        // own: the kill always lands in a running ingest, whatever the machine's speed.
        signal(SIGPIPE, SIG_IGN)
        for round in 0..<3 {
            let p = Process()
            p.executableURL = CLI.binary
            p.arguments = ["ingest", "--db", db, "--batch", "200", "-"]
            let stdin = Pipe()
            p.standardInput = stdin
            p.standardOutput = FileHandle.nullDevice
            let err = tmp.path("err\(round).txt")
            _ = FileManager.default.createFile(atPath: err, contents: nil)
            p.standardError = FileHandle(forWritingAtPath: err)
            try p.run()
            let feeder = Feeder(fd: stdin.fileHandleForWriting.fileDescriptor, body: body)
            Thread.detachNewThread { feeder.run() }
            // Let it commit some batches, then kill it without warning.
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline, committedCount(db) < 1000 * (round + 1) { usleep(20_000) }
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            feeder.finished.wait()
            try stdin.fileHandleForWriting.close()
            XCTAssertEqual(p.terminationReason, .uncaughtSignal, "round \(round): status \(p.terminationStatus) \((try? String(contentsOfFile: err, encoding: .utf8)) ?? "")")
            XCTAssertGreaterThanOrEqual(committedCount(db), 1000 * (round + 1), "round \(round): fed \(feeder.written) bytes; \((try? String(contentsOfFile: err, encoding: .utf8)) ?? "")")
            XCTAssertEqual(sqlite(db, "PRAGMA integrity_check"), "ok")
        }
        let before = Int(sqlite(db, "SELECT count(*) FROM message")) ?? -1
        XCTAssertGreaterThan(before, 0)
        let finish = try CLI.run(["ingest", "--db", db, input])
        XCTAssertEqual(finish.status, 0, finish.stderr)
        XCTAssertEqual(finish.stdout.split(separator: "\n").last, "ingested \(12000 - before) new, 0 updated, \(before) duplicates, 0 rejected")
        XCTAssertEqual(sqlite(db, "SELECT count(*), count(DISTINCT external_id) FROM message"), "12000|12000")
        XCTAssertEqual(sqlite(db, "PRAGMA integrity_check"), "ok")
        XCTAssertEqual(sqlite(db, "SELECT count(*) FROM message_fts WHERE message_fts MATCH 'the OR a OR my OR is'") != "0", true)
        XCTAssertEqual(sqlite(db, "INSERT INTO message_fts(message_fts) VALUES('integrity-check'); SELECT 'fts ok'"), "fts ok")
    }

    func committedCount(_ db: String) -> Int {
        guard FileManager.default.fileExists(atPath: db) else { return 0 }
        return Int(sqlite(db, "SELECT count(*) FROM message")) ?? 0
    }

    func sqlite(_ db: String, _ sql: String) -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        p.arguments = ["-cmd", ".timeout 5000", db, sql]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = Pipe()
        try? p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// Writes the input into ingest's standard input until it is all written or ingest is gone.
private final class Feeder: @unchecked Sendable {
    let fd: Int32
    let body: Data
    let finished = DispatchSemaphore(value: 0)
    init(fd: Int32, body: Data) { self.fd = fd; self.body = body }

    private(set) var written = 0

    func run() {
        defer { finished.signal() }
        body.withUnsafeBytes { raw in
            while written < raw.count {
                let n = write(fd, raw.baseAddress! + written, min(1 << 16, raw.count - written))
                if n <= 0 { return }  // EPIPE: ingest was killed
                written += n
            }
        }
    }
}
