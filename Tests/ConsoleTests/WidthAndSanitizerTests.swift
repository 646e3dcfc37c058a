import InboxModel
import CNcursesw
import Foundation
import XCTest
@testable import Console

final class WidthTests: XCTestCase {
    func testASCIIAndLatin() {
        XCTAssertEqual(TextWidth.of("hello"), 5)
        XCTAssertEqual(TextWidth.of("café"), 4)
    }

    func testCJKIsTwoColumnsEach() {
        XCTAssertEqual(TextWidth.of("病院"), 4)
        XCTAssertEqual(TextWidth.of("한국어"), 6)
        XCTAssertEqual(TextWidth.of("ｱ"), 1)  // halfwidth katakana
        XCTAssertEqual(TextWidth.of("Ａ"), 2)  // fullwidth A
        XCTAssertEqual(TextWidth.of("\u{3000}"), 2)
    }

    func testEmoji() {
        XCTAssertEqual(TextWidth.of("😀"), 2)
        XCTAssertEqual(TextWidth.of("👍"), 2)
        // ZWJ family: three wide scalars + two ZWJ (0) = 6, as ncurses counts it.
        XCTAssertEqual(TextWidth.of("👨‍👩‍👧"), 6)
        // A flag is two regional indicators of width 1 each (glibc).
        XCTAssertEqual(TextWidth.of("🇺🇸"), 2)
        XCTAssertEqual(TextWidth.of("❤"), 1)
        XCTAssertEqual(TextWidth.of("⌚"), 2)
    }

    func testCombiningMarksAreZero() {
        XCTAssertEqual(TextWidth.of("e\u{301}"), 1)
        XCTAssertEqual(TextWidth.of("\u{0E01}\u{0E31}"), 1)  // Thai ko kai + mai han-akat
        XCTAssertEqual(TextWidth.of("a\u{20DD}"), 1)  // enclosing circle
    }

    func testRTLIsOneColumnPerLetter() {
        XCTAssertEqual(TextWidth.of("شكرا"), 4)
        XCTAssertEqual(TextWidth.of("שלום"), 4)
    }

    /// The width function must agree with libc `wcwidth`, which ncurses uses to move the cursor.
    func testAgreesWithLibcWcwidth() throws {
        guard setlocale(LC_ALL, "C.UTF-8") != nil else { throw XCTSkip("no C.UTF-8 locale") }
        let samples: [UInt32] = [0x41, 0xE9, 0x301, 0x4E2D, 0xD55C, 0x3042, 0xFF71, 0xFF21, 0x3000, 0x1F600, 0x1F44D,
                                 0x1F468, 0x1F1FA, 0x2764, 0x231A, 0x0E31, 0x20DD, 0x0634, 0x05E9, 0x2500, 0x2424,
                                 0x241B, 0x25CC, 0x2605, 0x1F9D1, 0x1FAE0, 0x20000, 0x1100, 0x1160, 0x200B]
        for v in samples {
            let s = Unicode.Scalar(v)!
            let libc = Int(wcwidth(wchar_t(bitPattern: v)))
            XCTAssertEqual(TextWidth.of(s), max(0, libc), "U+\(String(v, radix: 16, uppercase: true))")
        }
    }
}

final class SanitizerTests: XCTestCase {
    func assertNoRawControls(_ s: String, file: StaticString = #filePath, line: UInt = #line) {
        for u in s.unicodeScalars {
            XCTAssertNil(UntrustedText.placeholder(for: u), "raw U+\(String(u.value, radix: 16)) left in output", file: file, line: line)
            XCTAssertFalse(u.value < 0x20 || (0x7F...0x9F).contains(u.value), file: file, line: line)
        }
    }

    func testEveryC0ControlBecomesAControlPicture() {
        for v in UInt32(0)..<0x20 {
            let out = DisplayText.clean(String(Unicode.Scalar(v)!))
            XCTAssertEqual(out.unicodeScalars.map(\.value), [0x2400 + v])
        }
        XCTAssertEqual(DisplayText.clean("\u{1B}"), "␛")
        XCTAssertEqual(DisplayText.clean("\u{7F}"), "␡")
    }

    func testEveryC1ControlBecomesACodePlaceholder() {
        for v in UInt32(0x80)...0x9F {
            let out = DisplayText.clean(String(Unicode.Scalar(v)!))
            XCTAssertEqual(out, "<U+00" + String(v, radix: 16, uppercase: true) + ">")
        }
    }

    func testEscapeSequencesLoseTheirIntroducer() {
        let osc52 = "\u{1B}]52;c;ZWNobyBwd25lZA==\u{07}"
        XCTAssertEqual(DisplayText.clean(osc52), "␛]52;c;ZWNobyBwd25lZA==␇")
        XCTAssertEqual(DisplayText.clean("\u{1B}[2J\u{1B}[31mred"), "␛[2J␛[31mred")
        XCTAssertEqual(DisplayText.clean("\u{1B}]8;;http://evil\u{1B}\\link\u{1B}]8;;\u{1B}\\"), "␛]8;;http://evil␛\\link␛]8;;␛\\")
        XCTAssertEqual(DisplayText.clean("\u{9B}2J"), "<U+009B>2J")  // 8-bit CSI
        XCTAssertEqual(DisplayText.clean("\u{1B}P1$r\u{9C}"), "␛P1$r<U+009C>")  // DCS
        assertNoRawControls(DisplayText.clean(Fixtures.injection))
    }

    func testBidiAndZeroWidthCharactersBecomePlaceholders() {
        let unsafe: [UInt32] = [0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069, 0x200E, 0x200F,
                                0x061C, 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00AD, 0xFE0F, 0xFE00, 0xE0100,
                                0x2028, 0x2029, 0xE0041]
        for v in unsafe {
            let hex = String(v, radix: 16, uppercase: true)
            XCTAssertEqual(DisplayText.clean("a" + String(Unicode.Scalar(v)!) + "b"),
                           "a<U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex + ">b")
        }
    }

    func testTrojanSourceLineIsVisible() {
        let s = "access\u{202E} \u{2066}// admin\u{2069}\u{2066}"
        XCTAssertEqual(DisplayText.clean(s), "access<U+202E> <U+2066>// admin<U+2069><U+2066>")
    }

    func testSafeTextIsUnchanged() {
        for s in ["hello", "病院の駐車場", "شكرا لكم", "café", "e\u{301}", "😀👍"] {
            XCTAssertEqual(DisplayText.clean(s), s)
        }
    }

    func testCombiningMarksAreCappedAndNeverStandAlone() {
        let zalgo = "a" + String(repeating: "\u{0301}", count: 20)
        let atoms = DisplayText.atoms(zalgo)
        XCTAssertEqual(atoms.count, 1)
        XCTAssertEqual(atoms[0].text.unicodeScalars.count, 1 + DisplayText.maxCombining)
        XCTAssertEqual(DisplayText.clean("\u{0301}x"), "\u{25CC}\u{0301}x")
    }

    func testAtomsRememberSourceIndices() {
        let atoms = DisplayText.atoms("a\u{1B}b")
        XCTAssertEqual(atoms.map(\.source), [0, 1, 2])
        let ph = DisplayText.atoms("\u{202E}z")
        XCTAssertEqual(ph.count, 9)  // "<U+202E>" + "z"
        XCTAssertEqual(ph.last?.source, 1)
    }
}

final class LargeTextTests: XCTestCase {
    func testAtomsStopAtTheRequestedColumns() {
        let big = String(repeating: "病", count: 100_000)
        let atoms = DisplayText.atoms(big, maxColumns: 80)
        XCTAssertLessThanOrEqual(atoms.count, 42)
        XCTAssertGreaterThanOrEqual(atoms.reduce(0) { $0 + $1.width }, 80)
    }

    func testHugeMessageDetailIsBounded() {
        let text = String(repeating: "word ", count: 200_000)  // 1 MB
        var details = Fixtures.details()
        details[0].text = text
        let (d, _) = Fixtures.driver(store: InMemoryConsoleStore(details))
        // Bounded by construction (atoms stop at the columns shown, above), not by a clock.
        let s = Renderer.render(d.state)
        for r in 0..<s.height { XCTAssertEqual(s.rowWidth(r), 80) }
        d.send(.keyPressed(.enter))
        d.send(.keyPressed(.char("G")))  // full-screen detail: G is not a scroll key; scroll far with Space
        for _ in 0..<30 { d.send(.keyPressed(.char(" "))) }  // 30 pages of 20 rows pass the ~260 lines
        let end = Renderer.render(d.state)
        XCTAssertTrue(end.lines.contains { $0.contains("more characters not shown") })
    }
}

final class VariationSelectorTests: XCTestCase {
    func testEmojiPresentationHintsAreDroppedElsewhereShown() {
        let heart = DisplayText.atoms("❤\u{FE0F}!")
        XCTAssertEqual(heart.map(\.text), ["❤", "!"], "VS16 after an emoji only picks its style")
        XCTAssertFalse(heart.contains { $0.isPlaceholder })
        let letter = DisplayText.atoms("a\u{FE0F}")
        XCTAssertTrue(letter.contains { $0.isPlaceholder }, "after a letter it is suspicious: shown")
        XCTAssertTrue(DisplayText.atoms("\u{FE0F}x").first?.isPlaceholder == true, "with nothing before it: shown")
    }
}
