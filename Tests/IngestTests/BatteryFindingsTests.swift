import Foundation
import InboxModel
@testable import Ingest
import XCTest

/// Inputs the reliability battery (`scripts/battery`, R4) found mishandled, one test each.
final class BatteryFindingsTests: XCTestCase {
    var tmp: TempFiles!
    override func setUpWithError() throws { tmp = try TempFiles() }
    override func tearDown() { tmp = nil }

    /// Reads at most `limit` items, so a reader that loops for ever fails the test instead of hanging it.
    func readBounded(_ url: URL, limit: Int = 1000) throws -> (ReadResult, overflow: Bool) {
        struct Overflow: Error {}
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        var result = ReadResult()
        var n = 0
        do {
            try IngestReader(name: url.lastPathComponent, handle: handle, format: .auto).read { item in
                n += 1
                if n > limit { throw Overflow() }
                switch item {
                case .message(let m): result.messages.append(m)
                case .rejected(let e): result.rejected.append(e)
                case .skipped(_, _, let reason): result.skipped.append(reason)
                }
            }
        } catch is Overflow {
            return (result, true)
        }
        return (result, false)
    }

    /// A stray `}` or `]` where a record starts, in a JSON document: the splitter returned an
    /// empty record without moving on, for ever (ingest wrote rejected rows until the disk filled).
    func testStrayClosingBracketInADocumentIsOneRejection() throws {
        for stray in ["}", "]", "}}]"] {
            let text = "{\n  \"object\": \"page\", \"entry\": []\n}\(stray)\n" + good("after") + "\n"
            let (r, overflow) = try readBounded(tmp.file("stray.json", text))
            XCTAssertFalse(overflow, "the reader looped on a stray \(stray)")
            XCTAssertEqual(r.messages.map(\.externalID), ["after"], stray)
            XCTAssertEqual(r.rejected.count, stray.count, "\(stray): \(r.rejected.map(\.reason))")
            XCTAssertTrue(r.rejected.allSatisfy { $0.line == 3 && $0.reason.hasPrefix("invalid JSON") }, "\(r.rejected)")
        }
    }

    /// JSON Lines whose first line is damaged were read as one pretty-printed document, and
    /// every valid record after it was rejected with it.
    func testDamagedFirstLineDoesNotTakeTheFileWithIt() throws {
        for first in [#"{"platform": "x", "kind": "mention", "id": "1", "te"#, "null", "42", #"{"platform": "x" "id": 1}"#] {
            let text = [first, good("a"), good("b")].joined(separator: "\n") + "\n"
            let (r, overflow) = try readBounded(tmp.file("first.jsonl", text))
            XCTAssertFalse(overflow)
            XCTAssertEqual(r.messages.map(\.externalID), ["a", "b"], "first line \(first): \(r.rejected.map(\.reason))")
            XCTAssertEqual(r.rejected.map(\.line), [1], first)
        }
        // Cut right after a colon or a comma (the way a pretty-printed document's first line ends).
        for first in [#"{"platform": "x", "kind":"#, #"{"platform": "x","#] {
            let text = [first, good("g"), good("h"), good("i")].joined(separator: "\n") + "\n"
            let (r, _) = try readBounded(tmp.file("cut.jsonl", text))
            XCTAssertEqual(r.messages.map(\.externalID), ["g", "h", "i"], "first line \(first): \(r.rejected.map(\.reason))")
        }
        // The second line damaged too.
        let two = ["42", #"{"platform": "x", "id": "#, good("c"), good("d")].joined(separator: "\n") + "\n"
        let (r2, _) = try readBounded(tmp.file("two.jsonl", two))
        XCTAssertEqual(r2.messages.map(\.externalID), ["c", "d"], "\(r2.rejected.map(\.reason))")
        XCTAssertEqual(r2.rejected.map(\.line), [1, 2])
        // A pretty-printed document is still one document.
        let doc = "{\"object\": \"page\", \"entry\": [\n{\"id\": \"1\", \"time\": 1449135003, \"changes\": []},\n{\"id\": \"2\", \"changes\": []}\n]}\n"
        let (r, _) = try readBounded(tmp.file("doc.json", doc))
        XCTAssertEqual(r.rejected.map(\.reason), [])
    }

    /// A first line that is a one-line JSON array (`[]`, `[{...}, {...}]`) made the whole file one
    /// document, and the first truncated record after it then swallowed every line that followed.
    func testOneLineArrayFirstStillReadsTheLinesAfterIt() throws {
        for first in ["[]", "[null]", "[" + good("w1") + "," + good("w2") + "]"] {
            let text = [first, #"{"platform": "x", "kind": "mention", "id": "cut", "te"#, good("e"), good("f")].joined(separator: "\n") + "\n"
            let (r, overflow) = try readBounded(tmp.file("array-first.jsonl", text))
            XCTAssertFalse(overflow)
            XCTAssertEqual(r.messages.map(\.externalID).suffix(2), ["e", "f"], "first line \(first): \(r.rejected.map(\.reason))")
            XCTAssertTrue(r.rejected.map(\.line).contains(2), "\(r.rejected)")
        }
        // A pretty-printed array is still one document.
        let doc = "[\n  " + good("p1") + ",\n  " + good("p2") + "\n]\n"
        let (r, _) = try readBounded(tmp.file("pretty.json", doc))
        XCTAssertEqual(r.messages.map(\.externalID), ["p1", "p2"])
        XCTAssertEqual(r.rejected.count, 0)
    }

    /// A time of 1e300 (or twenty digits) became a date the store could not convert to
    /// milliseconds: `rounds ingest` stopped with "Double value cannot be converted to Int64".
    func testOutOfRangeTimesAreRejected() throws {
        let lines = [
            #"{"platform": "x", "kind": "mention", "id": "t1", "text": "a", "created_at": 1e300}"#,
            #"{"platform": "x", "kind": "mention", "id": "t2", "text": "a", "created_at": "99999999999999999999"}"#,
            #"{"object": "page", "entry": [{"id": "1", "time": -1e30, "changes": [{"field": "feed", "value": {"item": "comment", "verb": "add", "comment_id": "c1", "post_id": "p1", "message": "hi", "created_time": 12345678901234567890123}}]}]}"#,
            #"{"reviewId": "r1", "starRating": "FIVE", "comment": "ok", "createTime": 1e309}"#,
            good("fine"),
        ]
        let r = try read(file: tmp.file("times.jsonl", lines.joined(separator: "\n")))
        XCTAssertEqual(r.messages.map(\.externalID), ["fine"])
        XCTAssertEqual(r.rejected.map(\.line), [1, 2, 3, 4], "\(r.messages.map(\.receivedAt))")
        XCTAssertTrue(r.rejected[0].reason.contains("out of range"), r.rejected[0].reason)
        // Ordinary epochs in seconds and milliseconds still read.
        XCTAssertEqual(TimeParser.parse("1449135003")?.timeIntervalSince1970, 1_449_135_003)
        XCTAssertEqual(TimeParser.parse("1457764197627")?.timeIntervalSince1970, 1_457_764_197.627)
    }
}
