import Foundation
import XCTest

/// Files Rounds writes cannot be redirected by someone sharing the folder, and an export is on
/// the record before it exists: checked through the built binary, with real links, FIFOs, a
/// full (small tmpfs) disk and a refused audit row.
final class FileSafetyCLITests: XCTestCase {
    /// An inbox with a few actions (`bench shift` on a synthetic, team-less inbox).
    func inboxWithActions(_ tmp: TempDir, messages: Int = 30, actions: Int = 6) throws -> String {
        let db = tmp.path("inbox.sqlite")
        let input = tmp.path("in.jsonl")
        XCTAssertEqual(try CLI.run(["bench", "generate", "--messages", "\(messages)", "-o", input]).status, 0)
        XCTAssertEqual(try CLI.run(["ingest", "--db", db, input]).status, 0)
        let shift = try CLI.run(["bench", "shift", "--db", db, "--as", "ana", "--actions", "\(actions)", "--queue", "all"])
        XCTAssertEqual(shift.status, 0, shift.stderr)
        // Message text is exported by leads: the test's login becomes the inbox's first lead.
        XCTAssertEqual(try CLI.run(["init", "--db", db]).status, 0)
        return db
    }

    func mode(_ path: String) -> mode_t {
        var st = stat()
        return lstat(path, &st) == 0 ? st.st_mode & 0o7777 : 0
    }

    func exportEvents(_ db: String) throws -> [String] {
        try CLI.sqliteRows(db, "SELECT action FROM action WHERE action LIKE 'export%' ORDER BY id")
    }

    func leftovers(_ dir: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains(".tmp-") }
    }

    func testOutputsRefuseSymlinksFIFOsAndFolders() throws {
        let tmp = try TempDir()
        let db = try inboxWithActions(tmp)
        let victim = try tmp.write("victim.txt", "keep me\n")
        chmod(victim, 0o600)
        let link = tmp.path("out.csv")
        XCTAssertEqual(symlink(victim, link), 0)
        let fifo = tmp.path("fifo.csv")
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        for target in [link, fifo, tmp.url.path] {
            for args in [["export", "--since", "2000-01-01T00:00:00Z", "--include-text", "-o", target],
                         ["report", "-o", target]] {
                let r = try CLI.run(args + ["--db", db])
                XCTAssertEqual(r.status, 1, "\(args): \(r.stderr)")
                XCTAssertTrue(r.stderr.contains(target), r.stderr)
            }
        }
        XCTAssertEqual(try String(contentsOfFile: victim, encoding: .utf8), "keep me\n", "nothing written through the link")
        XCTAssertEqual(mode(victim), 0o600)
        XCTAssertEqual(try exportEvents(db), [], "no export happened, none is recorded")
        XCTAssertEqual(try leftovers(tmp.url.path), [])

        // A link in place of the inbox's turn file would have its target's mode changed.
        let other = tmp.path("other.sqlite")
        let turnVictim = try tmp.write("secret", "x")
        chmod(turnVictim, 0o600)
        XCTAssertEqual(symlink(turnVictim, other + "-turn"), 0)
        let opened = try CLI.run(["stats", "--db", other])
        XCTAssertEqual(opened.status, 1)
        XCTAssertTrue(opened.stderr.contains("symbolic link"), opened.stderr)
        XCTAssertEqual(mode(turnVictim), 0o600)
    }

    /// An existing world-readable file is replaced by a new owner-only one, not reused.
    func testReportOverAnExistingFileIsOwnerOnly() throws {
        let tmp = try TempDir()
        let db = try inboxWithActions(tmp)
        let out = try tmp.write("report.txt", "old\n")
        chmod(out, 0o644)
        let r = try CLI.run(["report", "--db", db, "-o", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(mode(out), 0o600)
        XCTAssertEqual(mode(out + ".sha256"), 0o600)
        XCTAssertTrue(try String(contentsOfFile: out, encoding: .utf8).contains("Messages received"))
        XCTAssertEqual(try CLI.sqliteRows(db, "SELECT count(*) FROM action WHERE action = 'report' AND detail LIKE '%sha256 %'"), ["1"])
    }

    /// The record comes first: when the audit row cannot be written, no export file appears.
    func testNoFileWithoutItsRecord() throws {
        let tmp = try TempDir()
        let db = try inboxWithActions(tmp)
        _ = try XCTUnwrap(CLI.sqliteRows(db, """
            CREATE TRIGGER refuse_exports BEFORE INSERT ON action WHEN NEW.action LIKE 'export%'
            BEGIN SELECT RAISE(ABORT, 'refused for the test'); END; SELECT 'ok';
            """).first)
        let out = tmp.path("day.csv")
        let r = try CLI.run(["export", "--db", db, "--since", "2000-01-01T00:00:00Z", "--include-text", "-o", out])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out), "no file without its record")
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + ".sha256"))
        XCTAssertEqual(try leftovers(tmp.url.path), [])
    }

    /// A full disk during an export: a clear error and exit 1, no partial final file, and the
    /// inbox untouched (it lives on another disk).
    func testFullDiskIsAnErrorNotACrash() throws {
        let tmp = try TempDir()
        let db = try inboxWithActions(tmp, messages: 400, actions: 120)
        let small = tmp.path("small")
        try FileManager.default.createDirectory(atPath: small, withIntermediateDirectories: false)
        let mount = try CLI.runTool("/bin/mount", ["-t", "tmpfs", "-o", "size=16k", "tmpfs", small])
        guard mount == 0 else { throw XCTSkip("cannot mount a small tmpfs here (needs root)") }
        defer { _ = try? CLI.runTool("/bin/umount", [small]) }
        let out = small + "/day.json"
        let r = try CLI.run(["export", "--db", db, "--since", "2000-01-01T00:00:00Z", "--include-text", "--format", "json", "-o", out])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("No space left on device"), r.stderr)
        XCTAssertFalse(r.stderr.contains("Fatal error"), r.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: small), [], "no final file, no temporary one")
        XCTAssertEqual(try exportEvents(db), [], "nothing was exported, nothing is recorded")
        XCTAssertEqual(try CLI.run(["audit", "verify", "--db", db]).status, 0)
    }
}
