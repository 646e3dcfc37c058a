import Foundation
import InboxModel
import XCTest
@testable import Console

/// The sample inbox with deliveries on its first message, for the delivery tests (no tests here).
class DeliveryConsoleTestCase: XCTestCase {
    let now = Fixtures.now

    func pad(_ s: String, _ w: Int) -> String { s + String(repeating: " ", count: max(0, w - TextWidth.of(s))) }

    /// The sample inbox with `deliveries` (and `problem`) on message 1, the first one selected.
    func driver(role: Role = .lead, width: Int = 100, height: Int = 50, _ deliveries: [DeliveryStatus],
                problem: ConnectionProblem? = nil) -> (ConsoleDriver, InMemoryConsoleStore) {
        var details = Fixtures.details()
        details[0].deliveries = deliveries
        details[0].connectionProblem = problem
        return Fixtures.driver(role: role, width: width, height: height, queue: .all, store: InMemoryConsoleStore(details))
    }

    /// The rendered rows after the detail's "Delivery" heading, up to the next blank row.
    func deliveryBlock(_ screen: Screen, file: StaticString = #filePath, line: UInt = #line) -> [String] {
        let rows = (0..<screen.height).map(screen.line)
        guard let top = rows.firstIndex(of: pad("Delivery", screen.width)) else {
            XCTFail("no Delivery block", file: file, line: line)
            return []
        }
        return Array(rows[(top + 1)...].prefix { $0.trimmingCharacters(in: .whitespaces) != "" })
            .map { $0.replacingOccurrences(of: #"\s+$"#, with: "", options: .regularExpression) }
    }

    func entry(_ id: Int64, _ action: String, _ state: DeliveryState, by: String = "alice", visibility: Visibility = .public,
               release: TimeInterval = -60, next: TimeInterval? = nil, sent: TimeInterval? = nil,
               error: String? = nil, code: String? = nil) -> DeliveryStatus {
        DeliveryStatus(outboxID: id, action: action, visibility: visibility, moderator: by, state: state,
                       releaseAt: now.addingTimeInterval(release), nextAttemptAt: next.map(now.addingTimeInterval),
                       sentAt: sent.map(now.addingTimeInterval), lastError: error, errorCode: code)
    }
}

/// Where each action on a message stands with its platform, and failed deliveries in the queue bar.
final class DeliveryDisplayTests: DeliveryConsoleTestCase {
    func testEachStateOfADeliveryInTheDetail() {
        let (d, _) = driver([
            entry(10, "reply", .sent, visibility: .private, sent: -1800),
            entry(11, "hide", .pending, by: "bob", release: 7.2),
            entry(12, "reply", .ready),
            entry(13, "unhide", .sending, by: "carol"),
            entry(14, "reply", .retrying, next: 90, error: "rate limited", code: "613"),
            entry(15, "reply", .failed, error: "the person cannot receive messages", code: "551"),
            entry(16, "reply", .cancelled, error: "overtaken: message hidden by bob"),
            entry(17, "delete", .cancelled, by: "dave"),
            entry(18, "reply", .sent, sent: -2 * 86400),
        ])
        d.send(.keyPressed(.enter))  // full-screen detail: the whole block on screen
        let screen = Renderer.render(d.state)
        let clock = DateFormatter()
        clock.dateFormat = "HH:mm"
        XCTAssertEqual(deliveryBlock(screen), [
            "Reply (private) by alice: sent \(clock.string(from: now.addingTimeInterval(-1800))) ✓",
            "Hide by bob: leaves in 8 s",
            "Reply (public) by alice: waiting to be sent",
            "Unhide by carol: sending",
            "Reply (public) by alice: retrying in 2 m: rate limited",
            "Reply (public) by alice: failed: the person cannot receive messages (551)",
            "Reply (public) by alice: cancelled: overtaken: message hidden by bob",
            "Delete by dave: cancelled",
            "Reply (public) by alice: sent 2d ago ✓",
        ])
        // A failure is drawn as an error, a retry as a warning; the label stays plain.
        let failedRow = (0..<screen.height).first { screen.line($0).contains("failed: the person") }!
        XCTAssertEqual(screen[failedRow, 26].style, .error)
        XCTAssertEqual(screen[failedRow, 0].style, .normal)
        let retryRow = (0..<screen.height).first { screen.line($0).contains("retrying in") }!
        XCTAssertEqual(screen[retryRow, 26].style, .badgeWarn)
        // Time passes: the countdowns follow the clock, a window that ran out is just waiting.
        d.send(.clockTicked(now.addingTimeInterval(30)))
        let later = deliveryBlock(Renderer.render(d.state))
        XCTAssertEqual(later[1], "Hide by bob: waiting to be sent")
        XCTAssertEqual(later[4], "Reply (public) by alice: retrying in 1 m: rate limited")
    }

    func testTextFromTheInboxIsSanitisedAndBounded() {
        let (d, _) = driver(width: 80, [
            entry(20, "hide", .failed, by: "h\u{1B}[31mx", error: "bad \u{202E}reversed\u{202C}\nline", code: "1\u{07}"),
            entry(21, "reply", .failed, error: String(repeating: "long error ", count: 2000)),
        ], problem: .paused(reason: "\u{1B}]0;pwned\u{07}"))
        d.send(.keyPressed(.enter))
        let screen = Renderer.render(d.state)
        let block = deliveryBlock(screen)
        XCTAssertEqual(block[0], "Connection paused: ␛]0;pwned␇ — reconnect it (see docs/operations.md)")
        XCTAssertEqual(block[1], "Hide by h␛[31mx: failed: bad <U+202E>reversed<U+202C>␊line (1␇)")
        // A 22,000-character error takes at most three rows.
        XCTAssertEqual(block.count, 2 + 3)
        for r in 0..<screen.height {
            for c in 0..<screen.width {
                for u in screen[r, c].text.unicodeScalars {
                    XCTAssertNil(UntrustedText.placeholder(for: u), "unsafe U+\(String(u.value, radix: 16)) at \(r),\(c)")
                }
            }
        }
    }

    func testAMessageWithoutAConnectionSaysSoBeforeAnyoneReplies() {
        let (d, _) = driver([], problem: .noAccount)
        d.send(.keyPressed(.enter))
        XCTAssertEqual(deliveryBlock(Renderer.render(d.state)), ["No connection for this message's page: a reply cannot leave"])
        // Nothing queued and nothing wrong: no block at all.
        let (quiet, _) = driver([])
        quiet.send(.keyPressed(.enter))
        let rows = Renderer.render(quiet.state)
        XCTAssertFalse((0..<rows.height).contains { rows.line($0).hasPrefix("Delivery ") })
    }

    func testFailedDeliveriesShowInTheQueueBarAsAnAlert() {
        let (d, _) = driver(width: 80, height: 24, [entry(15, "reply", .failed, error: "refused", code: "10"),
                                                    entry(16, "hide", .failed, error: "gone", code: "100")])
        let bar = Renderer.render(d.state)
        // The alert keeps the right edge; the queues take their compact form in the rest.
        XCTAssertEqual(bar.line(0), pad("Urg 1 PHI 1 Sym 1 Off 1 Rev 1 New 2 Mine 0 Snz 0 Done 0 All 7", 70) + " Failed 2 ")
        XCTAssertTrue((70..<80).allSatisfy { bar[0, $0].style == .badgeUrgent })
        // Wide enough, everything fits: full titles, the organisation, then the alert.
        d.send(.terminalResized(width: 130, height: 24))
        XCTAssertEqual(Renderer.render(d.state).line(0),
                       " Urgent 1  PHI 1  Symptoms 1  Offensive 1  Reviews 1  New 2  Mine 0  Snoozed 0  Done 0  All 7 "
                       + String(repeating: " ", count: 130 - 94 - 13 - 1 - 10) + "Mercy General  Failed 2 ")
        // Counted with the queue counts: none left, no alert.
        d.send(.failedDeliveriesCounted(0))
        XCTAssertFalse(Renderer.render(d.state).line(0).contains("Failed"))
    }
}
