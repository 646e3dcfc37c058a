import Foundation
import XCTest

/// The reliability and security battery (R1-R8 of the targets) in quick mode on the built
/// binary: kill -9 during ingest and during moderator actions, concurrent moderators, malformed
/// input and policies, terminal injection (console bytes in a pty, exports, reports), Unicode
/// width in tmux, audit tampering, file permissions. `scripts/battery --full` is the long run.
///
/// Set ROUNDS_BATTERY_SEED to replay a failing run (the seed is printed with the table).
final class BatteryTests: XCTestCase {
    func testQuickBatteryHasNoFailures() throws {
        let root = ConsoleEndToEndTests.packageRoot
        let script = root.appendingPathComponent("scripts/battery")
        guard let python = ["/usr/bin/python3", "/usr/local/bin/python3"].first(where: FileManager.default.isExecutableFile)
                ?? Self.which("python3") else {
            throw XCTSkip("python3 is not installed")
        }
        var args = [script.path, "--quick", "--binary", CLI.binary.path]
        if let seed = ProcessInfo.processInfo.environment["ROUNDS_BATTERY_SEED"] { args += ["--seed", seed] }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = args
        p.currentDirectoryURL = root
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        print(text)  // the table, in the test log
        let rows = text.split(separator: "\n").filter { $0.hasPrefix("| R") }
        XCTAssertEqual(rows.count, 9, "the battery did not report R1-R9:\n\(text)")
        for row in rows {
            let cells = row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            XCTAssertEqual(cells.count >= 4 ? cells[3] : "?", "0", "failures in \(cells.first ?? "?"):\n\(text)")
        }
        XCTAssertEqual(p.terminationStatus, 0, text)
    }

    static func which(_ name: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let p = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }
}
