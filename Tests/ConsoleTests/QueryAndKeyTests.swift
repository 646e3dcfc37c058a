import Foundation
import InboxModel
import XCTest
@testable import Console

final class QueryParserTests: XCTestCase {
    let parser = QueryParser(now: Fixtures.now)

    func testFreeWordsAndPhrasesAreANDedTerms() throws {
        let q = try parser.parse("parking \"visiting hours\" garage")
        XCTAssertEqual(q.terms, [TextTerm(text: "parking"), TextTerm(text: "visiting hours", isPhrase: true), TextTerm(text: "garage")])
        XCTAssertEqual(q.ftsMatchExpression(), "(\"parking\" AND \"visiting hours\" AND \"garage\")")
    }

    func testFields() throws {
        let q = try parser.parse("flag:phi platform:messenger kind:dm from:@Jane lang:es state:open")
        XCTAssertEqual(q.flags.include, [.phiExposure])
        XCTAssertEqual(q.platforms.include, [.messenger])
        XCTAssertEqual(q.kinds.include, [.dm])
        XCTAssertEqual(q.authors.include, ["jane"])
        XCTAssertEqual(q.languages.include, ["es"])
        XCTAssertEqual(q.states.include, [.open])
        XCTAssertTrue(q.terms.isEmpty)
        XCTAssertNil(q.ftsMatchExpression())
    }

    func testNegation() throws {
        let q = try parser.parse("-flag:spam -platform:x fever -\"flu shot\"")
        XCTAssertEqual(q.flags.exclude, [.spam])
        XCTAssertEqual(q.platforms.exclude, [.x])
        XCTAssertEqual(q.terms, [TextTerm(text: "fever"), TextTerm(text: "flu shot", isPhrase: true, negated: true)])
        XCTAssertEqual(q.ftsMatchExpression(), "\"fever\" NOT (\"flu shot\")")
        XCTAssertEqual(q.ftsExcludeExpression(), "\"flu shot\"")
    }

    func testOnlyNegatedTermsNeedTheExcludeExpression() throws {
        let q = try parser.parse("-spam -\"buy now\"")
        XCTAssertNil(q.ftsMatchExpression())
        XCTAssertEqual(q.ftsExcludeExpression(), "\"spam\" OR \"buy now\"")
    }

    func testDates() throws {
        let q = try parser.parse("after:2d before:2026-11-01")
        XCTAssertEqual(q.receivedAfter, Fixtures.now.addingTimeInterval(-2 * 86400))
        // 2026-11-01T00:00:00Z = 1793491200
        XCTAssertEqual(q.receivedBefore, Date(timeIntervalSince1970: 1_793_491_200))
        XCTAssertEqual(try parser.parse("after:4h").receivedAfter, Fixtures.now.addingTimeInterval(-4 * 3600))
        XCTAssertEqual(try parser.parse("after:30m").receivedAfter, Fixtures.now.addingTimeInterval(-1800))
    }

    func testErrorsNameTheProblemAndColumn() {
        XCTAssertThrowsError(try parser.parse("fever platform:myspace")) { e in
            let err = e as! QueryError
            XCTAssertEqual(err.column, 7)
            XCTAssertTrue(err.message.contains("unknown platform 'myspace'"))
            XCTAssertTrue(err.message.contains("facebook"))
        }
        XCTAssertThrowsError(try parser.parse("before:2026-02-30"))
        XCTAssertThrowsError(try parser.parse("after:yesterday"))
        XCTAssertThrowsError(try parser.parse("flag:"))
        XCTAssertThrowsError(try parser.parse("state:archived"))
        XCTAssertThrowsError(try parser.parse("-after:2d"))
    }

    func testUnknownFieldIsAWord() throws {
        let q = try parser.parse("re:visit")
        XCTAssertEqual(q.terms, [TextTerm(text: "re:visit")])
        XCTAssertEqual(q.ftsMatchExpression(), "\"re:visit\"")
    }

    // FTS5: every term is one quoted string; inner quotes are doubled; operators stay text.
    func testHostileInputIsQuotedForFTS() throws {
        XCTAssertEqual(try parser.parse("ver1.1*").ftsMatchExpression(), "\"ver1.1*\"")
        XCTAssertEqual(try parser.parse("NEAR(a b)").ftsMatchExpression(), "(\"NEAR(a\" AND \"b)\")")
        XCTAssertEqual(try parser.parse("a\"b").ftsMatchExpression(), "\"a\"\"b\"")
        XCTAssertEqual(try parser.parse("\"unclosed phrase").ftsMatchExpression(), "\"unclosed phrase\"")
        XCTAssertEqual(try parser.parse("x OR y").ftsMatchExpression(), "(\"x\" AND \"OR\" AND \"y\")")
        XCTAssertEqual(try parser.parse("text:secret ^start col:*").ftsMatchExpression(), "(\"text:secret\" AND \"^start\" AND \"col:*\")")
        XCTAssertEqual(try parser.parse("\"it\"\"s\"").terms.map(\.text), ["it", "s"])
        // Terms without any letter or digit are dropped (they can only match nothing or everything).
        XCTAssertNil(try parser.parse("* \" - ( )").ftsMatchExpression())
        // Control characters never reach the database: they separate words like spaces.
        XCTAssertEqual(try parser.parse("fe\u{0}ver\u{1B}").terms.map(\.text), ["fe", "ver"])
    }

    /// Each quoted string must be balanced: a parser for FTS5 strings sees exactly the terms.
    func testFTSExpressionQuotesBalance() throws {
        for input in ["\"\"\"", "a\"\"b \"c", "\"x\" y\"z", "-\"q\"\"\""] {
            let expr = try parser.parse(input).ftsMatchExpression() ?? ""
            XCTAssertEqual(expr.filter { $0 == "\"" }.count % 2, 0, input)
        }
    }

    func testAndMergesFilters() throws {
        let a = try parser.parse("flag:phi fever")
        let b = try parser.parse("platform:x after:1d")
        let m = a.and(b)
        XCTAssertEqual(m.flags.include, [.phiExposure])
        XCTAssertEqual(m.platforms.include, [.x])
        XCTAssertEqual(m.terms.count, 1)
        XCTAssertNotNil(m.receivedAfter)
    }
}

final class KeyTests: XCTestCase {
    func testDecodeCharacters() {
        XCTAssertEqual(KeyEvent.decode(isKeyCode: false, value: 106), .char("j"))
        XCTAssertEqual(KeyEvent.decode(isKeyCode: false, value: 32), .char(" "))
        XCTAssertEqual(KeyEvent.decode(isKeyCode: false, value: 0x00E9), .char("é"))
        XCTAssertEqual(KeyEvent.decode(isKeyCode: false, value: 0x75C5), .char("病"))
        XCTAssertEqual(KeyEvent.decode(isKeyCode: false, value: 9), .tab)
        XCTAssertEqual(KeyEvent.decode(isKeyCode: false, value: 10), .enter)
        XCTAssertEqual(KeyEvent.decode(isKeyCode: false, value: 13), .enter)
        XCTAssertEqual(KeyEvent.decode(isKeyCode: false, value: 27), .escape)
        XCTAssertEqual(KeyEvent.decode(isKeyCode: false, value: 127), .backspace)
        XCTAssertEqual(KeyEvent.decode(isKeyCode: false, value: 12), .ctrl("l"))
        XCTAssertEqual(KeyEvent.decode(isKeyCode: false, value: 3), .ctrl("c"))
    }

    func testDecodeKeyCodes() {
        XCTAssertEqual(KeyEvent.decode(isKeyCode: true, value: 258), .down)
        XCTAssertEqual(KeyEvent.decode(isKeyCode: true, value: 259), .up)
        XCTAssertEqual(KeyEvent.decode(isKeyCode: true, value: 338), .pageDown)
        XCTAssertEqual(KeyEvent.decode(isKeyCode: true, value: 339), .pageUp)
        XCTAssertEqual(KeyEvent.decode(isKeyCode: true, value: 353), .backTab)
        XCTAssertEqual(KeyEvent.decode(isKeyCode: true, value: 410), .resize)
        XCTAssertEqual(KeyEvent.decode(isKeyCode: true, value: 343), .enter)
        XCTAssertEqual(KeyEvent.decode(isKeyCode: true, value: 265), .function(1))
        XCTAssertEqual(KeyEvent.decode(isKeyCode: true, value: 262), .home)
        XCTAssertEqual(KeyEvent.decode(isKeyCode: true, value: 360), .end)
        XCTAssertEqual(KeyEvent.decode(isKeyCode: true, value: 263), .backspace)
        // A key code is never mistaken for the character with the same number.
        XCTAssertEqual(KeyEvent.decode(isKeyCode: true, value: 106), .unknown(106))
    }

    func testDefaultKeyMapFollowsTheTable() {
        let km = KeyMap.defaults
        XCTAssertEqual(km.command(for: .char("j")), .moveDown)
        XCTAssertEqual(km.command(for: .down), .moveDown)
        XCTAssertEqual(km.command(for: .char(" ")), .pageDown)
        XCTAssertEqual(km.command(for: .backTab), .previousQueue)
        XCTAssertEqual(km.command(for: .char("3")), .replyTemplate(3))
        XCTAssertEqual(km.command(for: .char("D")), .delete)
        XCTAssertEqual(km.command(for: .char(";")), .applyToTagged)
        XCTAssertEqual(km.command(for: .ctrl("l")), .redraw)
        XCTAssertNil(km.command(for: .char("Z")))
        // Every table entry is reachable, and ids are unique.
        for e in CommandTable.entries { XCTAssertFalse(km.keys(for: e.command).isEmpty, e.id) }
        XCTAssertEqual(Set(CommandTable.entries.map(\.id)).count, CommandTable.entries.count)
        // No key is bound twice by default.
        let all = CommandTable.entries.flatMap(\.defaultKeys)
        XCTAssertEqual(Set(all).count, all.count)
    }

    func testKeysConfRebindsAndReportsBadLines() {
        let conf = """
        # my keys
        J = move-down
        C-n = next-queue
        j = none
        x = frobnicate
        Hyper-q = quit
        this line is wrong

        F2 = help
        """
        let (km, errors) = KeyMap.parse(conf)
        XCTAssertEqual(km.command(for: .char("J")), .moveDown)
        XCTAssertEqual(km.command(for: .ctrl("n")), .nextQueue)
        XCTAssertNil(km.command(for: .char("j")))
        XCTAssertEqual(km.command(for: .char("x")), .markDone)  // bad line left the default alone
        XCTAssertEqual(km.command(for: .function(2)), .help)
        XCTAssertEqual(errors.map(\.line), [5, 6, 7])
        XCTAssertTrue(errors[0].description.hasPrefix("keys.conf:5: unknown command 'frobnicate'"))
        XCTAssertTrue(errors[1].message.contains("unknown key 'Hyper-q'"))
    }

    func testKeyNamesRoundTrip() {
        for k: KeyEvent in [.char("j"), .char(" "), .pageDown, .backTab, .ctrl("l"), .function(5), .escape, .enter, .up, .char(";")] {
            XCTAssertEqual(KeyEvent.named(k.name), k, k.name)
        }
    }

    func testHelpIsGeneratedFromTheKeyMap() {
        var km = KeyMap.defaults
        km.bind(.char("J"), to: .moveDown)
        let text = Renderer.helpLines(km).map { $0.atoms.map(\.0.text).joined() }
        XCTAssertTrue(text.contains { $0.contains("j Down J") && $0.contains("Next message") })
        XCTAssertTrue(text.contains { $0.contains("1 2 3 4 5 6 7 8 9") })
        XCTAssertTrue(text.contains { $0.contains("[free-reply]") })
    }
}
