import Foundation
import XCTest

/// `rounds ingest`, `rounds stats` and `rounds demo` run as the built binary.
final class IngestCLITests: XCTestCase {
    func fixtureFiles() throws -> [String] {
        try FileManager.default.subpathsOfDirectory(atPath: platformFixtures.path)
            .filter { $0.hasSuffix(".json") }.sorted().map { platformFixtures.appendingPathComponent($0).path }
    }

    func testIngestFixturesTwiceIsIdempotent() throws {
        let tmp = try TempDir()
        let db = tmp.path("inbox.sqlite")
        let files = try fixtureFiles()
        let first = try CLI.run(["ingest", "--db", db] + files)
        XCTAssertEqual(first.status, 0, first.stderr)
        // 31 messages in 20 files; 24 distinct ids: the Instagram pair shares one id, the
        // Messenger edit repeats the message, the hide and edit name one comment, the two
        // ratings one story, and the DM events files repeat each other.
        XCTAssertEqual(first.stdout.split(separator: "\n").last, "ingested 24 new, 1 updated, 6 duplicates, 0 rejected")
        let second = try CLI.run(["ingest", "--db", db] + files)
        XCTAssertEqual(second.status, 0)
        XCTAssertEqual(second.stdout.split(separator: "\n").last, "ingested 0 new, 0 updated, 31 duplicates, 0 rejected")

        let stats = try CLI.run(["stats", "--db", db])
        XCTAssertEqual(stats.status, 0)
        XCTAssertTrue(stats.stdout.contains("24 messages"), stats.stdout)
        XCTAssertTrue(stats.stdout.contains("removed on platform: 2"), stats.stdout)
        XCTAssertTrue(stats.stdout.contains("hidden on platform: 1"), stats.stdout)
    }

    func testBatchesAreStoredInReadingOrderWhileClassifiedInParallel() throws {
        // 40 batches of 10 classified on several threads at once: each edit and removal must
        // still land after the message it changes, and every line must be counted once.
        let tmp = try TempDir()
        let db = tmp.path("inbox.sqlite")
        var lines: [String] = []
        for i in 0..<300 {
            lines.append(#"{"platform": "x", "kind": "mention", "id": "m\#(i)", "author": "a\#(i % 7)", "text": "first \#(i)"}"#)
        }
        for i in stride(from: 0, to: 300, by: 3) {
            lines.append(#"{"platform": "x", "kind": "mention", "id": "m\#(i)", "author": "a\#(i % 7)", "text": "edited \#(i)"}"#)
        }
        lines.append(#"{"platform": "x", "kind": "mention", "id": "m1", "author": "a1", "text": "edited 1"}"#)
        lines.append(#"{"platform": "x", "kind": "mention", "id": "m1", "author": "a1", "text": "edited twice 1"}"#)
        let file = try tmp.write("ordered.jsonl", lines.joined(separator: "\n") + "\n")
        let r = try CLI.run(["ingest", "--db", db, "--batch", "10", file])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout.split(separator: "\n").last, "ingested 300 new, 102 updated, 0 duplicates, 0 rejected")
        let texts = try CLI.sqliteRows(db, "SELECT external_id || '=' || text FROM message WHERE external_id IN ('m0', 'm1', 'm2', 'm299') ORDER BY external_id")
        XCTAssertEqual(texts, ["m0=edited 0", "m1=edited twice 1", "m2=first 2", "m299=first 299"])
        XCTAssertEqual(try CLI.sqliteRows(db, "SELECT count(*) FROM message_version"), ["102"])
        XCTAssertEqual(try CLI.sqliteRows(db, "SELECT text FROM message_version WHERE message_id = (SELECT id FROM message WHERE external_id = 'm1') ORDER BY id"),
                       ["first 1", "edited 1"])
        // Search sees the final text only, through the index kept by the same transactions.
        XCTAssertEqual(try CLI.sqliteRows(db, "SELECT count(*) FROM message_fts WHERE message_fts MATCH 'edited'"), ["101"])
        XCTAssertEqual(try CLI.sqliteRows(db, "SELECT count(*) FROM message_fts WHERE message_fts MATCH 'first'"), ["199"])
    }

    func testRejectionsExitOneAndAreCounted() throws {
        let tmp = try TempDir()
        let db = tmp.path("inbox.sqlite")
        let file = try tmp.write("mixed.jsonl", """
            {"platform": "x", "kind": "mention", "id": "1", "text": "fine"}
            {"platform": "x", "kind": "mention", "id": "2", "text": 
            {"platform": "x", "kind": "mention", "id": "3", "text": "also fine", "rating": "many"}
            {"platform": "x", "kind": "mention", "id": "4", "text": "last"}
            """)
        let out = try CLI.run(["ingest", "--db", db, file])
        XCTAssertEqual(out.status, 1)
        XCTAssertEqual(out.stdout.split(separator: "\n").last, "ingested 2 new, 0 updated, 0 duplicates, 2 rejected")
        let errors = out.stderr.split(separator: "\n").map(String.init)
        XCTAssertEqual(errors.count, 2, out.stderr)
        XCTAssertTrue(errors[0].hasPrefix("\(file):2: invalid JSON"), errors[0])
        XCTAssertTrue(errors[1].hasPrefix("\(file):3: 'rating' should be a whole number"), errors[1])
        XCTAssertTrue(errors[1].hasSuffix("(at rating)"), errors[1])
        let stats = try CLI.run(["stats", "--db", db, "--rejected"])
        XCTAssertTrue(stats.stdout.contains("rejected records: 2"), stats.stdout)
        XCTAssertTrue(stats.stdout.contains("mixed.jsonl:3: 'rating'"), stats.stdout)
    }

    func testUsageErrorsExitTwo() throws {
        let tmp = try TempDir()
        let out = try CLI.run(["ingest", "--db", tmp.path("i.sqlite"), "--format", "xml", "a.json"])
        XCTAssertEqual(out.status, 2)
        XCTAssertTrue(out.stderr.contains("unknown --format 'xml'"), out.stderr)
        XCTAssertEqual(try CLI.run(["ingest", "--bogus"]).status, 2)
    }

    func testStdinAndEnvironmentDatabase() throws {
        let tmp = try TempDir()
        let db = tmp.path("env.sqlite")
        let out = try CLI.run(["ingest", "-"], env: ["ROUNDS_DB": db],
                              stdin: Data(#"{"platform": "instagram", "kind": "comment", "id": "s1", "text": "from a pipe"}"#.utf8))
        XCTAssertEqual(out.status, 0, out.stderr)
        XCTAssertTrue(out.stdout.hasSuffix("ingested 1 new, 0 updated, 0 duplicates, 0 rejected\n"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: db))
        // Default: ./rounds.sqlite in the working directory.
        let here = try CLI.run(["stats"], cwd: tmp.url)
        XCTAssertEqual(here.status, 0, here.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: tmp.path("rounds.sqlite")))
    }

    func testMissingFileIsReportedAndOthersStillIngest() throws {
        let tmp = try TempDir()
        let good = try tmp.write("g.jsonl", #"{"platform": "x", "kind": "dm", "id": "9", "text": "hi"}"#)
        let out = try CLI.run(["ingest", "--db", tmp.path("i.sqlite"), tmp.path("missing.json"), good])
        XCTAssertEqual(out.status, 1)
        XCTAssertTrue(out.stderr.contains("missing.json: cannot read: No such file or directory"), out.stderr)
        XCTAssertTrue(out.stdout.contains("ingested 1 new"))
    }

    func testDemoBuildsAFreshInboxAndNeverOverwritesARealOne() throws {
        let tmp = try TempDir()
        let demo = tmp.path("demo.sqlite")
        let out = try CLI.run(["demo", "--db", demo, "--no-console"])
        XCTAssertEqual(out.status, 0, out.stderr)
        let count = out.stdout.split(separator: "\n").first.map(String.init) ?? ""
        XCTAssertTrue(count.contains(" messages"), count)
        let n = Int(count.split(separator: " ")[2]) ?? 0
        XCTAssertGreaterThanOrEqual(n, 190)
        for platform in ["facebook", "messenger", "instagram", "x", "gbp"] {
            XCTAssertTrue(out.stdout.contains("  \(platform) "), "demo covers \(platform)")
        }
        XCTAssertEqual(try CLI.run(["demo", "--db", demo, "--no-console"]).status, 0, "a demo inbox is rebuilt")

        let real = tmp.path("real.sqlite")
        XCTAssertEqual(try CLI.run(["stats", "--db", real]).status, 0)
        let refused = try CLI.run(["demo", "--db", real, "--no-console"])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("is not a demo inbox"), refused.stderr)
    }
}
