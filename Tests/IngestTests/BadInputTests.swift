import Foundation
import InboxModel
@testable import Ingest
import XCTest

/// Bad input is reported as FILE:LINE: reason, kept, and never stops the rest of the file.
final class BadInputTests: XCTestCase {
    var tmp: TempFiles!
    override func setUpWithError() throws { tmp = try TempFiles() }
    override func tearDown() { tmp = nil }

    func testBrokenLinesAmongGoodOnes() throws {
        let lines = [
            good("1"),
            #"{"platform": "x", "kind": "mention", "id": "2", "text": "trunc"#,           // truncated
            #"{"platform": "x", "kind": "mention", "id": "3", "text": 42}"#,              // wrong type
            #"{"platform": "myspace", "kind": "mention", "id": "4", "text": "?"}"#,       // unknown platform
            #"{"platform": "x", "kind": "mention", "text": "no id"}"#,                    // missing id
            #"["not", "an", "object"]"#,
            good("5"),
        ]
        let r = try read(file: tmp.file("mixed.jsonl", lines.joined(separator: "\n")))
        XCTAssertEqual(r.messages.map(\.externalID), ["1", "5"])
        XCTAssertEqual(r.rejected.map(\.line), [2, 3, 4, 5, 6])
        XCTAssertTrue(r.rejected[0].reason.hasPrefix("invalid JSON"), r.rejected[0].reason)
        XCTAssertEqual(r.rejected[1].location, "text")
        XCTAssertTrue(r.rejected[1].reason.contains("should be text, found a number"))
        XCTAssertTrue(r.rejected[2].reason.contains("unknown platform"))
        XCTAssertTrue(r.rejected[3].reason.contains("missing 'id'"))
        XCTAssertTrue(r.rejected[4].reason.contains("expected a JSON object"))
        XCTAssertEqual(r.rejected[0].description.prefix(12), "mixed.jsonl:")
        XCTAssertEqual(String(decoding: r.rejected[1].raw, as: UTF8.self), lines[2], "the rejected bytes are kept")
    }

    func testInvalidUTF8IsReplacedAndMarked() throws {
        var data = Data(#"{"platform": "x", "kind": "mention", "id": "u1", "text": "caf"#.utf8)
        data.append(contentsOf: [0xC3, 0x28, 0xFF])
        data.append(contentsOf: Data(#"!"}"#.utf8))
        let r = try read(file: tmp.file("bad-utf8.jsonl", data))
        XCTAssertEqual(r.rejected, [])
        let m = try XCTUnwrap(r.messages.first)
        XCTAssertTrue(m.hadInvalidUTF8)
        XCTAssertTrue(m.text.contains("\u{FFFD}"))
        XCTAssertTrue(m.text.hasPrefix("caf"))
    }

    func testNulBytesAreExplained() throws {
        var data = Data(good("n1").utf8)
        data.insert(0, at: data.index(data.startIndex, offsetBy: 5))
        data.append(10)
        data.append(Data(good("n2").utf8))
        data.append(Data("\n".utf8))
        data.append(Data(#"{"platform": "x", "kind": "mention", "id": "n3", "text": "escaped \u0000 nul"}"#.utf8))
        let r = try read(file: tmp.file("nul.jsonl", data))
        XCTAssertEqual(r.messages.map(\.externalID), ["n2", "n3"])
        XCTAssertEqual(r.rejected.count, 1)
        XCTAssertTrue(r.rejected[0].reason.contains("NUL byte at column 6"), r.rejected[0].reason)
        XCTAssertEqual(r.messages[1].text.unicodeScalars.filter { $0.value == 0 }.count, 1)
    }

    func testTruncatedDocument() throws {
        let text = "{\n  \"object\": \"page\",\n  \"entry\": [\n    {\"id\": \"1\"\n"
        let r = try read(file: tmp.file("cut.json", text))
        XCTAssertEqual(r.messages.count, 0)
        XCTAssertEqual(r.rejected.count, 1)
        XCTAssertEqual(r.rejected[0].line, 1)
        XCTAssertTrue(r.rejected[0].reason.contains("truncated"), r.rejected[0].reason)
    }

    func testBrokenElementInsideAnArrayKeepsTheOthers() throws {
        let text = "[\n" + good("a1") + ",\n{\"platform\": \"x\" \"id\": 1},\n" + good("a2") + "\n]"
        let r = try read(file: tmp.file("arr.json", text))
        XCTAssertEqual(r.messages.map(\.externalID), ["a1", "a2"])
        XCTAssertEqual(r.rejected.map(\.line), [3])
    }

    func testEmptyAndBinaryAndWhitespaceFiles() throws {
        XCTAssertEqual(try read(file: tmp.file("empty.json", "")).messages.count, 0)
        XCTAssertEqual(try read(file: tmp.file("blank.jsonl", "\n\n  \n")).rejected.count, 0)
        var garbage = Data()
        for i in 0..<4096 { garbage.append(UInt8((i * 73 + 11) % 256)) }
        let g = try read(file: tmp.file("garbage.bin", garbage))
        XCTAssertEqual(g.messages.count, 0)
        XCTAssertEqual(g.rejected.count, 1)
        XCTAssertTrue(g.rejected[0].reason.contains("unrecognised input"), g.rejected[0].reason)
        XCTAssertEqual(g.rejected[0].raw, garbage, "binary input is kept whole")
    }

    func testOneMegabyteTextIsIngested() throws {
        let big = String(repeating: "fever and cough ", count: 65_536) // 1 MiB
        let line = #"{"platform": "facebook", "kind": "comment", "id": "big", "text": "\#(big)"}"#
        let r = try read(file: tmp.file("big.jsonl", line + "\n" + good("after")))
        XCTAssertEqual(r.rejected, [])
        XCTAssertEqual(r.messages.map(\.externalID), ["big", "after"])
        XCTAssertEqual(r.messages[0].text.utf8.count, 1 << 20)
    }

    func testSixteenMegabyteLineIsKeptNotIngested() throws {
        let huge = String(repeating: "a", count: 16 << 20)
        let line = #"{"platform": "facebook", "kind": "comment", "id": "huge", "text": "\#(huge)"}"#
        let r = try read(file: tmp.file("huge.jsonl", good("before") + "\n" + line + "\n" + good("after")))
        XCTAssertEqual(r.messages.map(\.externalID), ["before", "after"])
        XCTAssertEqual(r.rejected.count, 1)
        XCTAssertEqual(r.rejected[0].line, 2)
        XCTAssertTrue(r.rejected[0].reason.contains("over the 8 MB limit"), r.rejected[0].reason)
        XCTAssertEqual(r.rejected[0].raw.count, line.utf8.count)
    }

    func testDeepNestingDoesNotCrash() throws {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        let r = try read(file: tmp.file("deep.json", deep + "\n" + good("d1")))
        XCTAssertEqual(r.messages.map(\.externalID), ["d1"])
        XCTAssertEqual(r.rejected.count, 1)
    }
}
