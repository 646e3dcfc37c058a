import Foundation
import InboxModel
import XCTest
@testable import Console

/// Whole-screen checks of the rendered grid. Expected rows are derived by hand from the column
/// layout (tag 1, cursor 1, age 4, platform 2, kind 7|3, visibility 7|3, author 12|10|16,
/// badges 9|7|14, each followed by one space, then the text).
final class ScreenSnapshotTests: XCTestCase {
    func pad(_ s: String, _ w: Int) -> String { s + String(repeating: " ", count: max(0, w - TextWidth.of(s))) }

    /// Every row exactly as wide as the screen, and nothing unsafe in any cell.
    func assertWellFormed(_ screen: Screen, file: StaticString = #filePath, line: UInt = #line) {
        for r in 0..<screen.height {
            XCTAssertEqual(screen.rowWidth(r), screen.width, "row \(r) cell widths", file: file, line: line)
            XCTAssertEqual(TextWidth.of(screen.line(r)), screen.width, "row \(r) text width: \(screen.line(r))", file: file, line: line)
            for c in 0..<screen.width {
                let cell = screen[r, c]
                if c > 0, cell.isContinuation { XCTAssertEqual(screen[r, c - 1].width, 2, file: file, line: line) }
                for u in cell.text.unicodeScalars {
                    XCTAssertNil(UntrustedText.placeholder(for: u), "unsafe U+\(String(u.value, radix: 16)) at \(r),\(c)", file: file, line: line)
                }
            }
        }
    }

    func screen(_ w: Int, _ h: Int, queue: QueueID = .all, keys: [KeyEvent] = []) -> Screen {
        let (d, _) = Fixtures.driver(width: w, height: h, queue: queue)
        for k in keys { d.send(.keyPressed(k)) }
        return Renderer.render(d.state)
    }

    func test80x24() {
        let s = screen(80, 24)
        assertWellFormed(s)
        XCTAssertEqual(s.line(0), pad(" Urg 1  PHI 1  Sym 1  Off 1  Rev 1  New 2  Mine 0  Snz 0  Done 0  All 7 ", 80))
        // List: imminent emergency first, then newest first.
        XCTAssertEqual(s.line(1), pad(" >  2m MS dm      PRIVATE @sad_user    EMR       I want to end it all tonight", 80))
        XCTAssertEqual(s.line(2), "   10m X  mention PUBLIC  @h␛[31macker OFF       ␛]52;c;ZWNobyBwd25lZA==␇hi ␛[2J")
        XCTAssertEqual(s.line(3), "   30m FB comment PUBLIC  @pat         PHI       My MRN is 12345678 and I have H")
        XCTAssertEqual(s.line(4), "    3h FB comment PUBLIC  @mom_of_3    SYM       my son has had a fever of 103 f")
        XCTAssertEqual(s.line(5), pad("    5h FB comment PUBLIC  @amira                 شكرا لكم على الرعاية الممتازة", 80))
        XCTAssertEqual(s.line(6), "    1d IG comment PUBLIC  @東京太郎              病院の駐車場はどこですか？谢谢 ")
        XCTAssertEqual(s.line(7), "    2d GB review  PUBLIC  @fam         REV       Great staff 👨<U+200D>👩<U+200D")
        // Wide cells sit where the arithmetic says: "@東京太郎" starts at column 26.
        XCTAssertEqual(s[6, 27].text, "東")
        XCTAssertEqual(s[6, 27].width, 2)
        XCTAssertTrue(s[6, 28].isContinuation)
        XCTAssertEqual(s[6, 49].text, "病")
        XCTAssertEqual(s[6, 79].text, " ")
        // The injection is visible as placeholders, in the placeholder style.
        XCTAssertEqual(s[2, 49].text, "␛")
        XCTAssertEqual(s[2, 49].style, .placeholder)
        XCTAssertEqual(s[2, 50].style, .normal)
        // Selected row in reverse; the hardware cursor on it.
        XCTAssertTrue((0..<80).allSatisfy { s[1, $0].style == .selected })
        XCTAssertEqual(s.cursor?.row, 1)
        // Separator (list height 8 at 24 rows) and the detail pane.
        XCTAssertTrue(s.line(9).hasPrefix("── #1 Messenger dm PRIVATE · open ──"))
        XCTAssertEqual(s.line(10), pad("@sad_user (Sam) · Messenger dm · PRIVATE · 2m ago · lang en · 2 earlier", 80))
        XCTAssertEqual(s.line(11), pad("messages from this author", 80))
        XCTAssertEqual(s.line(12), pad("Reply window: 23h 58m left (Messenger, 24 h)", 80))
        XCTAssertEqual(s.line(14), pad("I want to end it all tonight", 80))
        // Evidence span [2, 16) = "want to end it" is highlighted, nothing else.
        XCTAssertEqual((0..<20).map { s[14, $0].style == .evidence }, (0..<20).map { (2..<16).contains($0) })
        XCTAssertEqual(s.line(16), pad("EMERGENCY · act · score 0.97 · imminent · suicide", 80))
        XCTAssertEqual(s.line(17), pad("  why: “want to end it” (rule suicide.ideation in emergency.yml)", 80))
        XCTAssertEqual(s.line(19), pad("Replies (press the number; PRIVATE):", 80))
        XCTAssertEqual(s.line(20), pad("1 ★ Crisis line: Please call or text 988 now.", 80))
        XCTAssertEqual(s.line(21), pad("2   Call 911: If this is an emergency call 911.", 80))
        XCTAssertEqual(s.line(22), pad(" alice (moderator) │ All 1/7 │ reply: PRIVATE", 80))
        XCTAssertTrue(s.line(23).hasPrefix(" j move  Tab queue  1-9 reply  h hide"))
    }

    func test120x40() {
        let s = screen(120, 40)
        assertWellFormed(s)
        // Full titles (94 columns), then the organisation right-aligned with one space after it.
        XCTAssertEqual(s.line(0), " Urgent 1  PHI 1  Symptoms 1  Offensive 1  Reviews 1  New 2  Mine 0  Snoozed 0  Done 0  All 7 "
                       + String(repeating: " ", count: 120 - 94 - 13 - 1) + "Mercy General ")
        // Wider author (16) and badge (14) columns: the text starts at column 58.
        XCTAssertEqual(s.line(2), pad("   10m X  mention PUBLIC  @h␛[31macker     OFF            ␛]52;c;ZWNobyBwd25lZA==␇hi ␛[2J<U+202E>evil<U+202C> <U+200B>x", 120))
        XCTAssertEqual(s.line(7), pad("    2d GB review  PUBLIC  @fam             REV            Great staff 👨<U+200D>👩<U+200D>👧 ❤ 🇺🇸 café", 120))
        XCTAssertEqual(s[7, 58].text, "G")
        XCTAssertEqual(s[7, 70].text, "👨")
        XCTAssertTrue(s[7, 71].isContinuation)
        // Regional indicators are one column each (as wcwidth says), so a flag takes two cells.
        // (❤ at 93 keeps no VS16 placeholder: it is a presentation hint, dropped.)
        XCTAssertEqual(s[7, 93].text, "❤")
        XCTAssertEqual(s[7, 95].text, "🇺")
        XCTAssertEqual(s[7, 96].text, "🇸")
        // List height (40 - 4) * 2 / 5 = 14: separator on row 15, detail from 16, status 38.
        XCTAssertTrue(s.line(15).hasPrefix("── #1 Messenger dm PRIVATE"))
        XCTAssertEqual(s.line(16), pad("@sad_user (Sam) · Messenger dm · PRIVATE · 2m ago · lang en · 2 earlier messages from this author", 120))
        XCTAssertTrue(s.line(38).hasPrefix(" alice (moderator) │ All 1/7"))
        XCTAssertTrue(s.line(39).hasSuffix("q quit" + String(repeating: " ", count: 29)))
    }

    func test60x15() {
        let s = screen(60, 15)
        assertWellFormed(s)
        // The bar does not fit: short titles, scrolled so the current queue (All) shows.
        XCTAssertEqual(s.line(0), pad("‹ PHI 1 Sym 1 Off 1 Rev 1 New 2 Mine 0 Snz 0 Done 0 All 7", 60))
        XCTAssertEqual(s[0, 52].style, .barActive)
        XCTAssertEqual(s[0, 51].style, .bar)
        XCTAssertEqual(s.line(1), " >  2m MS dm  PRV @sad_user  EMR     I want to end it all to")
        XCTAssertEqual(s.line(2), "   10m X  mtn PUB @h␛[31mack OFF     ␛]52;c;ZWNobyBwd25lZA==")
        // List height 4, separator row 5, status 13.
        XCTAssertTrue(s.line(5).hasPrefix("── #1 Messenger dm PRIVATE · open"))
        XCTAssertTrue(s.line(13).hasPrefix(" alice (moderator) │ All 1/7 │ reply: PRIVATE"))
    }

    func test60x15ScrollsToCJKRowAndClipsWideCharacters() {
        let s = screen(60, 15, keys: [.char("j"), .char("j"), .char("j"), .char("j"), .char("j")])
        assertWellFormed(s)
        // Selected index 5 of 7 with a 4-row list: indices 2...5 visible, the CJK row last.
        XCTAssertEqual(s.line(4), pad(" >  1d IG cmt PUB @東京太郎  ", 37) + "病院の駐車場はどこです" + " ")
        XCTAssertEqual(s.cursor?.row, 4)
        XCTAssertTrue(s.line(1).contains("@pat"))
        XCTAssertTrue(s.line(2).contains("@mom_of_3"))
        // Detail of message 3 with its CJK text.
        XCTAssertTrue(s.lines.contains(pad("病院の駐車場はどこですか？谢谢", 60)))
    }

    func testRightToLeftTextIsStoredInLogicalOrder() {
        let s = screen(80, 24, keys: [.char("j"), .char("j"), .char("j"), .char("j")])
        assertWellFormed(s)
        XCTAssertEqual(s[5, 49].text, "ش")  // first letter in logical order at the column start
        XCTAssertTrue(s.lines.contains(pad("شكرا لكم على الرعاية الممتازة", 80)))
    }

    func testInjectionInEveryDisplayedField() {
        let s = screen(80, 24, keys: [.char("j")])  // message 6 selected
        assertWellFormed(s)
        XCTAssertEqual(s.line(10), pad("@h␛[31macker (<U+202E>nimda) · X mention · PUBLIC · 10m ago · lang en · 0", 80))
        XCTAssertEqual(s.line(12), pad("In reply to: ␛]0;pwned␇", 80))
        XCTAssertEqual(s.line(14), pad("␛]52;c;ZWNobyBwd25lZA==␇hi ␛[2J<U+202E>evil<U+202C> <U+200B>x", 80))
    }

    func testTinyTerminalsShowTheEnlargeMessage() {
        for (w, h) in [(59, 20), (80, 14), (20, 5)] {
            let s = screen(w, h)
            assertWellFormed(s)
            let text = s.lines.map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
            XCTAssertTrue(text.contains("Please enlarge the window to at least 60 columns x 15 rows"), "\(w)x\(h): \(text)")
            XCTAssertTrue(text.contains("(\(w)x\(h))"))
            XCTAssertFalse(text.contains("sad_user"), "no broken layout behind the message")
        }
        XCTAssertFalse(screen(60, 15).lines.joined().contains("enlarge"))
    }

    func testResizeRedrawsAtTheNewSize() {
        let (d, _) = Fixtures.driver(width: 80, height: 24, queue: .all)
        d.send(.terminalResized(width: 100, height: 30))
        let s = Renderer.render(d.state)
        XCTAssertEqual(s.width, 100)
        XCTAssertEqual(s.height, 30)
        assertWellFormed(s)
        d.send(.terminalResized(width: 50, height: 30))
        XCTAssertTrue(Renderer.render(d.state).lines.joined().contains("enlarge"))
    }

    func testOverlaysKeepRowsWellFormed() {
        for keys: [KeyEvent] in [[.char("?")], [.char("h")], [.char("z")], [.char("/")], [.enter], [.char("?"), .pageDown, .pageDown]] {
            for (w, h) in [(80, 24), (60, 15), (120, 40)] {
                let s = screen(w, h, keys: [.char("j")] + keys)
                assertWellFormed(s)
            }
        }
        let help = screen(80, 24, keys: [.char("?")])
        XCTAssertTrue(help.line(1).hasPrefix("┌─ Keys (j/k scroll, Esc closes) "))
        XCTAssertTrue(help.lines.contains { $0.contains("j Down") && $0.contains("Next message") && $0.contains("[move-down]") })
        let menu = screen(80, 24, keys: [.char("j"), .char("h")])  // offensive message: profanity preselected
        XCTAssertTrue(menu.lines.contains { $0.contains("│ 2 Profanity (profanity)") })
        let row = menu.lines.firstIndex { $0.contains("2 Profanity") }!
        XCTAssertEqual(menu.cursor?.row, row)
    }

    func testPromptShowsOnTheMessageLineWithTheCursor() {
        let s = screen(80, 24, keys: [.char("/"), .char("f"), .char("l"), .char("u")])
        XCTAssertEqual(s.line(23), pad("/flu", 80))
        XCTAssertEqual(s.cursor?.row, 23)
        XCTAssertEqual(s.cursor?.column, 4)
    }

    func testUndoCountdownInTheStatusLine() {
        let (d, store) = Fixtures.driver(width: 80, height: 24, queue: .all)
        d.send(.keyPressed(.char("1")))
        XCTAssertEqual(store.outbox.values.first?.state, "pending")
        XCTAssertTrue(Renderer.render(d.state).line(22).contains("reply sends in 10s, u undoes"))
        d.send(.clockTicked(Fixtures.now.addingTimeInterval(3.2)))
        XCTAssertTrue(Renderer.render(d.state).line(22).contains("reply sends in 7s, u undoes"))
        d.send(.clockTicked(Fixtures.now.addingTimeInterval(10)))
        XCTAssertFalse(Renderer.render(d.state).line(22).contains("reply sends"))
        XCTAssertEqual(store.outbox.values.first?.state, "ready")
    }
}

final class ScreenGridTests: XCTestCase {
    func testOverwritingHalfAWideCharacterBlanksTheOtherHalf() {
        var s = Screen(width: 6, height: 1)
        s.write("病院", row: 0, column: 0, style: .normal)
        XCTAssertEqual(s.line(0), "病院  ")
        s.write("x", row: 0, column: 1, style: .normal)  // right half of 病
        XCTAssertEqual(s.line(0), " x院  ")
        s.write("y", row: 0, column: 2, style: .normal)  // left half of 院
        XCTAssertEqual(s.line(0), " xy   ")
        XCTAssertEqual(s.rowWidth(0), 6)
    }

    func testWideCharacterAtTheRightEdgeBecomesABlank() {
        var s = Screen(width: 5, height: 1)
        let end = s.write("abcd病", row: 0, column: 0, style: .normal)
        XCTAssertEqual(s.line(0), "abcd ")
        XCTAssertEqual(end, 5)
        XCTAssertEqual(s.rowWidth(0), 5)
    }

    func testWideOverWideShiftedByOne() {
        var s = Screen(width: 6, height: 1)
        s.write("病院", row: 0, column: 0, style: .normal)
        s.write("中", row: 0, column: 1, style: .normal)
        XCTAssertEqual(s.line(0), " 中   ")
        XCTAssertEqual(s.rowWidth(0), 6)
    }
}

/// The status line names each live connection's state (what `rounds serve` recorded).
final class ConnectionStatusLineTests: XCTestCase {
    func testStatesOfTheConnectionsInTheStatusLine() {
        let (d, _) = Fixtures.driver(width: 160, height: 24, queue: .all)
        XCTAssertFalse(Renderer.render(d.state).line(22).contains("Meta"), "no server, nothing said")
        let until = Fixtures.now.addingTimeInterval(600)
        let ms = { (d: Date) in Int64(d.timeIntervalSince1970 * 1000) }
        d.send(.connectionsLoaded([
            ConnectionStatus(name: "GBP", state: .error, detail: "token refresh failing: HTTP 503", updatedAt: 0),
            ConnectionStatus(name: "Meta", state: .ok, updatedAt: 0),
            ConnectionStatus(name: "X", state: .rateLimited, detail: "rate limited", until: ms(until), updatedAt: 0),
        ]))
        let f = DateFormatter()
        f.dateFormat = "HH:mm"
        let line = Renderer.render(d.state).line(22)
        XCTAssertTrue(line.contains("GBP token refresh failing  Meta ✓  X rate-limited until \(f.string(from: until))"), line)
        d.send(.connectionsLoaded([ConnectionStatus(name: "X", state: .reconnect, detail: "needs reconnecting: X answered 401", updatedAt: 0)]))
        XCTAssertTrue(Renderer.render(d.state).line(22).contains("X needs reconnecting"))
    }
}
