import Foundation
import XCTest

/// What `rounds` acknowledges is on disk, not only in the kernel's cache: watched with
/// `strace`, every write to the WAL is followed by an `fdatasync` of the WAL before the line
/// that acknowledges it. (A process crash loses nothing either way in WAL mode; this is about
/// power loss, where only a synced WAL counts.)
final class DurabilityCLITests: XCTestCase {
    /// One system call from `strace -f -y`: its name and the file it names, if any.
    struct Call {
        var name: String
        var path: String
        var line: String
    }

    /// Runs `rounds` under strace and returns the WAL writes, WAL syncs and stdout writes,
    /// in the order they started.
    func traced(_ args: [String], in tmp: TempDir) throws -> [Call] {
        let log = tmp.path("strace.txt")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/strace")
        p.arguments = ["-f", "-y", "-qq", "-e", "trace=pwrite64,pwritev,write,fdatasync,fsync", "-o", log, CLI.binary.path] + args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, "rounds \(args.joined(separator: " ")) under strace")
        let pattern = try NSRegularExpression(pattern: #"^\d+ +(\w+)\(\d+<([^>]*)>"#)
        return try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").compactMap { raw in
            let line = String(raw)
            let ns = line as NSString
            guard let m = pattern.firstMatch(in: line, range: NSRange(location: 0, length: ns.length)) else { return nil }
            return Call(name: ns.substring(with: m.range(at: 1)), path: ns.substring(with: m.range(at: 2)), line: line)
        }
    }

    /// Checks that each stdout write that `acknowledges` comes after a sync of the WAL that
    /// follows the WAL's last write before it; returns how many acknowledgements it checked.
    func assertSyncedBeforeEach(_ calls: [Call], wal: String, acknowledges: (Call) -> Bool,
                                file: StaticString = #filePath, line: UInt = #line) -> Int {
        var unsynced = false
        var checked = 0
        for c in calls {
            if c.path == wal && c.name.hasPrefix("pwrite") { unsynced = true }
            if c.path == wal && (c.name == "fdatasync" || c.name == "fsync") { unsynced = false }
            if c.name == "write" && !c.path.contains("inbox.sqlite") && acknowledges(c) {
                XCTAssertFalse(unsynced, "acknowledged before the WAL was synced: \(c.line)", file: file, line: line)
                checked += 1
            }
        }
        return checked
    }

    override func setUpWithError() throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: "/usr/bin/strace"), "needs strace (.ci/run installs it)")
    }

    func testIngestSyncsWhatItCommittedBeforeItSaysSo() throws {
        let tmp = try TempDir()
        let db = tmp.path("inbox.sqlite")
        let lines = (0..<120).map { #"{"platform": "x", "kind": "mention", "id": "m\#($0)", "author": "a\#($0 % 9)", "text": "message \#($0)"}"# }
        let file = try tmp.write("in.jsonl", lines.joined(separator: "\n") + "\n")
        // Twelve transactions of ten: ingest's own commits skip the fsync, the sync comes later.
        let calls = try traced(["ingest", "--db", db, "--batch", "10", file], in: tmp)
        XCTAssertGreaterThanOrEqual(calls.filter { $0.path == db + "-wal" && $0.name.hasPrefix("pwrite") }.count, 12)
        let checked = assertSyncedBeforeEach(calls, wal: db + "-wal") { $0.line.contains("ingested 120 new") }
        XCTAssertEqual(checked, 1, "the summary line was seen")
    }

    func testEveryAcknowledgedModeratorActionIsSyncedFirst() throws {
        let tmp = try TempDir()
        let db = tmp.path("inbox.sqlite")
        let lines = (0..<40).map { #"{"platform": "x", "kind": "mention", "id": "m\#($0)", "author": "a\#($0)", "text": "question \#($0)"}"# }
        XCTAssertEqual(try CLI.run(["ingest", "--db", db, try tmp.write("in.jsonl", lines.joined(separator: "\n") + "\n")]).status, 0)
        let calls = try traced(["bench", "shift", "--db", db, "--as", "ana", "--actions", "6", "--queue", "all"], in: tmp)
        // Each claim and each reply, hide or done prints one JSON line once it has committed.
        let checked = assertSyncedBeforeEach(calls, wal: db + "-wal") { $0.line.contains(#"{\"moderator\":"#) }
        XCTAssertEqual(checked, 12, "six claims and six actions acknowledged")
    }
}
