import Foundation
import XCTest

/// Console start-up errors, before any terminal is touched.
final class ConsoleCLITests: XCTestCase {
    func testBadKeyBindingsAreNamedByLine() throws {
        let tmp = try TempDir()
        let keys = try tmp.write("keys.conf", "# mine\nJ = move-down\nK = no-such-command\n= help\n")
        let out = try CLI.run(["demo", "--db", tmp.path("demo.sqlite")], env: ["ROUNDS_KEYS": keys, "TERM": "xterm"])
        XCTAssertEqual(out.status, 1, out.stderr)
        XCTAssertTrue(out.stderr.contains("\(keys):3:"), out.stderr)
        XCTAssertTrue(out.stderr.contains("\(keys):4:"), out.stderr)
        XCTAssertFalse(out.stderr.contains("\(keys):2:"), "a valid line is not an error: \(out.stderr)")
    }

    func testNoTerminalIsAClearErrorNotACrash() throws {
        let tmp = try TempDir()
        // Standard input and output are pipes here, not a terminal.
        let out = try CLI.run(["demo", "--db", tmp.path("demo.sqlite")], env: ["TERM": "xterm"])
        XCTAssertEqual(out.status, 1, out.stderr)
        XCTAssertTrue(out.stderr.hasPrefix("rounds: cannot open the console"), out.stderr)
    }
}
