import XCTest
@testable import rounds

/// The console's own reading of its command line (no swift-argument-parser on that path):
/// it takes exactly what the parser would, and hands everything else to the parser.
final class ConsoleLaunchTests: XCTestCase {
    func testReadsThePlainConsoleInvocations() {
        XCTAssertEqual(ConsoleLaunch([]), ConsoleLaunch())
        XCTAssertEqual(ConsoleLaunch(["console"]), ConsoleLaunch())
        XCTAssertEqual(ConsoleLaunch(["--db", "a.sqlite"]), ConsoleLaunch(db: "a.sqlite"))
        XCTAssertEqual(ConsoleLaunch(["console", "--policies", "P", "--db", "x y.sqlite"]), ConsoleLaunch(db: "x y.sqlite", policies: "P"))
        XCTAssertEqual(ConsoleLaunch(["console", "--db=a=b.sqlite", "--policies=P"]), ConsoleLaunch(db: "a=b.sqlite", policies: "P"))
    }

    func testLeavesEverythingElseToTheParser() {
        for args in [["--help"], ["console", "-h"], ["ingest", "x.jsonl"], ["demo"], ["console", "--db"],
                     ["console", "--db", "--policies", "P"], ["--db", "a", "--db", "b"], ["console", "console"],
                     ["console", "--dbx", "a"], ["--db", "a", "extra"], ["console", "--", "--db", "a"]] {
            XCTAssertNil(ConsoleLaunch(args), "\(args)")
        }
    }

    /// Both paths report the same errors: a missing folder through the fast path, a missing
    /// value through the parser (status 2).
    func testErrorsOnBothPaths() throws {
        let tmp = try TempDir()
        let missing = try CLI.run(["console", "--db=\(tmp.path("no/such/folder/x.sqlite"))"], env: ["TERM": "xterm"])
        XCTAssertEqual(missing.status, 1, missing.stderr)
        XCTAssertTrue(missing.stderr.hasPrefix("rounds: cannot open the inbox"), missing.stderr)
        XCTAssertTrue(missing.stderr.contains("does not exist"), missing.stderr)
        let usage = try CLI.run(["console", "--db"], env: ["TERM": "xterm"])
        XCTAssertEqual(usage.status, 2, usage.stderr)
        XCTAssertTrue(usage.stderr.contains("--db"), usage.stderr)
    }
}
