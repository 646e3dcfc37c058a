import Console
import Foundation
import InboxModel
import Reports
import XCTest

/// One table decides what of the internet's text is unsafe; every output applies the same
/// decision in its own form (console placeholders, text placeholders, HTML, JSON escapes,
/// CSV cells). The expected decisions below are written by hand from the Unicode classes, not
/// taken from the code.
final class UntrustedTextAgreementTests: XCTestCase {
    static let unsafe: [(String, Unicode.Scalar)] = [
        ("NUL", "\u{0}"), ("BEL", "\u{7}"), ("ESC", "\u{1B}"), ("LF", "\u{A}"), ("DEL", "\u{7F}"),
        ("C1 NEL", "\u{85}"), ("C1 CSI", "\u{9B}"), ("C1 OSC", "\u{9D}"), ("soft hyphen", "\u{AD}"),
        ("Arabic letter mark", "\u{61C}"), ("zero-width space", "\u{200B}"), ("zero-width joiner", "\u{200D}"),
        ("LRM", "\u{200E}"), ("LRE", "\u{202A}"), ("RLO", "\u{202E}"), ("LRI", "\u{2066}"), ("PDI", "\u{2069}"),
        ("line separator", "\u{2028}"), ("paragraph separator", "\u{2029}"), ("word joiner", "\u{2060}"),
        ("BOM", "\u{FEFF}"), ("variation selector 16 alone", "\u{FE0F}"), ("Hangul filler", "\u{3164}"),
        ("private use", "\u{E000}"), ("unassigned", "\u{378}"), ("language tag", "\u{E0001}"),
        ("interlinear annotation", "\u{FFF9}"),
    ]
    static let safe: [(String, Unicode.Scalar)] = [
        ("letter", "a"), ("accented", "\u{E9}"), ("CJK", "\u{4E2D}"), ("emoji", "\u{1F600}"), ("no-break space", "\u{A0}"),
        ("euro", "\u{20AC}"), ("Arabic letter", "\u{628}"), ("Hebrew letter", "\u{5D0}"), ("combining acute", "\u{301}"),
    ]

    func contains(_ s: String, _ u: Unicode.Scalar) -> Bool { s.unicodeScalars.contains(u) }

    func testEveryOutputMakesTheSameDecision() throws {
        for (name, u) in Self.unsafe + Self.safe {
            let isUnsafe = Self.unsafe.contains { $0.1 == u }
            let text = "x" + String(Character(u)) + "y"
            XCTAssertEqual(UntrustedText.isUnsafe(u), isUnsafe, name)
            XCTAssertEqual(UntrustedText.placeholder(for: u) != nil, isUnsafe, name)

            // The console: the grid never holds the scalar; a placeholder is drawn in its place.
            let atoms = DisplayText.atoms(text)
            XCTAssertEqual(atoms.contains { $0.isPlaceholder }, isUnsafe, "console: \(name)")
            XCTAssertEqual(atoms.contains { contains($0.text, u) }, !isUnsafe, "console: \(name)")
            var screen = Screen(width: 40, height: 1)
            _ = screen.write(text, row: 0, column: 0, style: .normal)
            let shown = (0..<40).map { screen[0, $0].text }.joined()
            XCTAssertEqual(contains(shown, u), !isUnsafe, "console grid: \(name)")

            // One line of CLI, log or text-report output.
            let line = UntrustedText.line(text)
            XCTAssertEqual(contains(line, u), !isUnsafe, "line: \(name)")
            if isUnsafe { XCTAssertTrue(line.contains(UntrustedText.placeholder(for: u)!), "line: \(name)") }

            // The HTML report: the same placeholder, then HTML-escaped.
            let html = UntrustedText.html(text)
            XCTAssertEqual(contains(html, u), !isUnsafe, "html: \(name)")

            // JSON (export, classify, outbox): escaped when unsafe, and the same value read back.
            let json = String.jsonQuoted(text)
            XCTAssertEqual(contains(json, u), !isUnsafe, "json: \(name)")
            let back = try JSONSerialization.jsonObject(with: Data("[\(json)]".utf8)) as? [String]
            XCTAssertEqual(back?.first?.unicodeScalars.map(\.value), text.unicodeScalars.map(\.value), "json round trip: \(name)")
            let encoded = UntrustedText.json(String(decoding: try JSONEncoder().encode([text]), as: UTF8.self))
            XCTAssertEqual(contains(encoded, u), !isUnsafe, "encoder json: \(name)")

            // CSV export cells: placeholders, except the line breaks a quoted cell holds as data.
            let cell = ExportWriter.csvCell(text)
            XCTAssertEqual(contains(cell, u), !isUnsafe || u == "\n", "csv: \(name)")
        }
    }

    /// Terminal escape sequences lose their introducer everywhere: nothing after it can act.
    func testEscapeSequencesAreInertInEveryOutput() {
        let attacks = ["\u{1B}]52;c;cGF5bG9hZA==\u{7}", "\u{1B}]0;pwned\u{1B}\\", "\u{1B}[2J\u{1B}[H", "\u{9B}31m", "\u{1B}P+q\u{1B}\\",
                       "\u{1B}]8;;http://evil.example\u{1B}\\click\u{1B}]8;;\u{1B}\\"]
        for a in attacks {
            for out in [UntrustedText.line(a), UntrustedText.html(a), String.jsonQuoted(a), ExportWriter.csvCell(a),
                        DisplayText.atoms(a).map(\.text).joined()] {
                XCTAssertFalse(out.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x9B || $0.value == 0x07 }, out)
            }
        }
    }

    /// The whole way through the binary: hostile text (every class above, ESC sequences, and a
    /// lone surrogate in the JSON input) ingested or rejected, then worked by a moderator with a
    /// hostile name, then shown by every command that prints it. No unsafe scalar comes out raw.
    func testNoUnsafeScalarLeavesThroughTheCommands() throws {
        let tmp = try TempDir()
        let db = tmp.path("inbox.sqlite")
        let hostile = Self.unsafe.map { String(Character($0.1)) }.joined() + "\u{1B}]52;c;cGF5bG9hZA==\u{7}"
        let jsonText = String(String.jsonQuoted(hostile).dropFirst().dropLast())
        let lines = [
            #"{"platform": "facebook", "kind": "comment", "id": "c1", "author": "h\u001b[31m", "author_name": "N\u202Eame", "text": "\#(jsonText)"}"#,
            #"{"platform": "x", "kind": "mention", "id": "t1", "text": "plain"}"#,
            #"{"platform": "x", "kind": "mention", "id": "\u001b]0;title\u0007", "text": 7}"#,
            #"{"platform": "x", "kind": "mention", "id": "s1", "text": "\u202e\ud800 lone"}"#,
        ]
        let input = try tmp.write("in.jsonl", lines.joined(separator: "\n") + "\n")
        let ingest = try CLI.run(["ingest", "--db", db, input])
        // A lone surrogate is not JSON text: that record is rejected (and kept), like the one
        // with a number for its text.
        XCTAssertEqual(ingest.status, 1, ingest.stderr)
        XCTAssertEqual(ingest.stdout.split(separator: "\n").last, "ingested 2 new, 0 updated, 0 duplicates, 2 rejected")
        let texts = try tmp.write("texts.txt", hostile + "\n")
        let textsJSONL = try tmp.write("texts.jsonl", #"{"text": "\#(jsonText)"}"# + "\n")
        let moderator = "eve\u{1B}[2J\u{202E}\u{61C}"
        let shift = try CLI.run(["bench", "shift", "--db", db, "--as", moderator, "--actions", "2", "--queue", "all"])
        XCTAssertEqual(shift.status, 0, shift.stderr)
        XCTAssertEqual(try CLI.run(["init", "--db", db]).status, 0, "the test's login leads the inbox: it exports text")

        var outputs: [(String, String)] = [("ingest stderr", ingest.stderr), ("shift stderr", shift.stderr)]
        for args in [["stats", "--rejected"], ["audit"], ["outbox"],
                     ["export", "--since", "2000-01-01T00:00:00Z", "--include-text", "--format", "csv"],
                     ["export", "--since", "2000-01-01T00:00:00Z", "--include-text", "--format", "json"],
                     ["export", "--since", "2000-01-01T00:00:00Z", "--include-text", "--format", "jsonl"],
                     ["report"], ["report", "--format", "html"]].map({ $0 + ["--db", db] })
            + [["classify", "--format", "text", texts], ["classify", "--format", "jsonl", textsJSONL]] {
            let out = try CLI.run(args)
            XCTAssertEqual(out.status, 0, "\(args): \(out.stderr)")
            outputs.append((args.joined(separator: " "), out.stdout + out.stderr))
        }
        for (what, text) in outputs {
            for (name, u) in Self.unsafe where u != "\n" {
                XCTAssertFalse(text.unicodeScalars.contains(u), "\(what) printed \(name) raw")
            }
        }
        // JSON keeps the value: the hostile moderator's name is escaped, not dropped.
        let json = try XCTUnwrap(outputs.first { $0.0.hasPrefix("export") && $0.0.contains("json --db") }?.1)
        XCTAssertTrue(json.contains(#""moderator": "eve\u001b[2J\u202e\u061c""#), json)
    }
}
