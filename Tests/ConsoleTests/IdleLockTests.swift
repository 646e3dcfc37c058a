import Foundation
import InboxModel
import XCTest
@testable import Console

/// HIPAA automatic logoff: after `idleLockSeconds` without a key every message text and author
/// leaves the screen until a key is pressed, and both moments are recorded.
final class IdleLockTests: XCTestCase {
    func testLocksAfterTheIdleTimeHidesEverythingAndTheNextKeyOnlyUnlocks() throws {
        let details = Fixtures.details()
        let store = InMemoryConsoleStore(details)
        var state = ConsoleState(moderator: "alice", role: .moderator, organisation: "Mercy General", now: Fixtures.now)
        state.idleLockSeconds = 600
        let d = ConsoleDriver(state: state, store: store, policy: FixedPolicy())
        d.send(.started(now: Fixtures.now))
        let start = Fixtures.now
        d.send(.clockTicked(start.addingTimeInterval(599)))
        XCTAssertFalse(d.state.locked, "not before the time")
        let visible = Renderer.render(d.state).lines.joined()
        XCTAssertTrue(details.map(\.row.authorHandle).contains { visible.contains($0) }, visible)

        d.send(.clockTicked(start.addingTimeInterval(600)))
        XCTAssertTrue(d.state.locked)
        let locked = Renderer.render(d.state)
        let text = locked.lines.joined()
        XCTAssertTrue(text.contains("locked after 10 minutes"), text)
        for detail in details {
            XCTAssertFalse(text.contains(detail.row.snippet.prefix(12)), "a message's text is on the locked screen")
            XCTAssertFalse(text.contains(detail.row.authorHandle), "an author is on the locked screen")
            if let name = detail.authorName { XCTAssertFalse(text.contains(name)) }
        }
        XCTAssertFalse(text.contains("12345678"), "not even the MRN of the sample")
        for r in 0..<locked.height { XCTAssertEqual(locked.rowWidth(r), locked.width) }

        // The key that unlocks does nothing else (? would have opened the help).
        d.send(.keyPressed(.char("?")))
        XCTAssertFalse(d.state.locked)
        XCTAssertNil(d.state.overlay)
        XCTAssertEqual(store.sessionEvents, [.locked, .unlocked])
        d.send(.keyPressed(.char("?")))
        XCTAssertEqual(d.state.overlay, .help(scroll: 0), "the next key acts")
        d.send(.keyPressed(.escape))

        // A key resets the clock.
        d.send(.clockTicked(start.addingTimeInterval(1150)))
        XCTAssertFalse(d.state.locked, "the keys at 600 s restarted the wait")
    }

    func testZeroNeverLocks() {
        var s = ConsoleState(moderator: "alice", role: .lead, now: Fixtures.now)
        _ = Reducer.reduce(into: &s, .started(now: Fixtures.now))
        _ = Reducer.reduce(into: &s, .clockTicked(Fixtures.now.addingTimeInterval(86_400)))
        XCTAssertFalse(s.locked)
    }
}
