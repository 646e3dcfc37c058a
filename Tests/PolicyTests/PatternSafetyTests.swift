import Foundation
@testable import Policy
import XCTest

/// Policy patterns that backtrack without end are refused when the policies load (battery R4:
/// before, `(a+)+$` with prefilter `a` loaded fine and ingest of "aaaa...a!" never finished).
final class PatternSafetyTests: XCTestCase {
    func testCatastrophicShapesAreRefused() {
        for p in ["(a+)+$", "(a*)*$", "(a|a)*$", "(a|aa)+$", #"(\w+\s?)*$"#, "((ab)*)*c", "(.*a){25}", "(x+x+)+y",
                  "^(([a-z])+.)+[A-Z]([a-z])+$", #"(\d+)*-"#, "([a-zA-Z]+)*@", "(?:a+){2,}b", "(a|b|ab)*c", "(?i:(a+)+)"] {
            XCTAssertNotNil(PatternSafety.backtrackingRisk(p), p)
        }
    }

    func testSafeShapesAndTheShippedPatternsAreAccepted() throws {
        for p in ["a+b+c", #"\$\s?\d[\d,]*\s*(per|a|/)\s*(day|hour|week|month)"#, "(?>a+)+$", "(a++)+$", "(ab)+", "(a|b){0,3}",
                  #"(?:\s+[\w'-]+){0,3}?"#, #"[(a+)+]"#, #"\(a+\)+"#, #"\Q(a+)+\E"#, "(?:x{2}){5,}"] {
            XCTAssertNil(PatternSafety.backtrackingRisk(p), p)
        }
        XCTAssertNoThrow(try Fixture.policies())  // every shipped pattern passes
    }

    func testRefusalNamesFileAndLine() throws {
        let dir = try Fixture.copyOfPolicies()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Fixture.edit(dir, "flags/spam.yml") { $0 + "\n  - id: spam.evil\n    pattern: \"(a+)+$\"\n    prefilter: \"a\"\n" }
        let e = try XCTUnwrap(Fixture.loadError(dir), "(a+)+$ was accepted")
        XCTAssertEqual(e.file, "Policies/flags/spam.yml")
        let lines = try String(contentsOf: dir.appendingPathComponent("flags/spam.yml"), encoding: .utf8).components(separatedBy: "\n")
        XCTAssertTrue(lines[e.line - 1].contains("pattern:"), "line \(e.line): \(lines[e.line - 1])")
        XCTAssertTrue(e.description.contains("backtrack"), e.description)
    }
}
