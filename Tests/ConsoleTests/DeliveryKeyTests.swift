import Foundation
import InboxModel
import XCTest
@testable import Console

/// A lead's retry (`S`) and cancel (`X`) of a message's failed delivery.
final class DeliveryKeyTests: DeliveryConsoleTestCase {
    func testALeadRetriesTheNewestFailedDeliveryAndTheBarFollows() {
        let (d, store) = driver([entry(14, "reply", .failed, error: "old", code: "1"),
                                 entry(15, "hide", .retrying, next: 60, error: "rate limited"),
                                 entry(16, "unhide", .cancelled),
                                 entry(17, "reply", .failed, error: "the person cannot receive messages", code: "551")])
        XCTAssertTrue(Renderer.render(d.state).line(0).hasSuffix(" Failed 2 "))
        d.send(.keyPressed(.char("S")))
        XCTAssertEqual(store.performed.last, .retryDelivery(outbox: 17))
        XCTAssertEqual(d.state.flash?.text, "Reply will be sent again")
        XCTAssertEqual(d.state.flash?.isError, false)
        XCTAssertTrue(Renderer.render(d.state).line(0).hasSuffix(" Failed 1 "), "counts refreshed after the command")
        XCTAssertTrue(deliveryBlock(Renderer.render(d.state)).contains("Reply (public) by alice: waiting to be sent"))
        // Next the retrying one (newer than the remaining failed one), then that one.
        d.send(.keyPressed(.char("X")))
        XCTAssertEqual(store.performed.last, .cancelDelivery(outbox: 15))
        d.send(.keyPressed(.char("X")))
        XCTAssertEqual(store.performed.last, .cancelDelivery(outbox: 14))
        XCTAssertFalse(Renderer.render(d.state).line(0).contains("Failed"))
        // Nothing failed any more: the key says so and asks nothing of the store.
        let count = store.performed.count
        d.send(.keyPressed(.char("S")))
        XCTAssertEqual(store.performed.count, count)
        XCTAssertEqual(d.state.flash?.text, "Nothing to send again: no delivery of this message failed")
    }

    func testOnlyALeadMayRetryOrCancelAndTheStoresRefusalIsShown() {
        let (mod, modStore) = driver(role: .moderator, [entry(15, "reply", .failed, error: "refused")])
        for key in ["S", "X"] {
            mod.send(.keyPressed(.char(Character(key))))
            XCTAssertEqual(mod.state.flash, Flash(text: "Your role (moderator) cannot retry or cancel deliveries (leads only)",
                                                  isError: true, until: now.addingTimeInterval(Reducer.flashSeconds)))
        }
        XCTAssertTrue(modStore.performed.isEmpty)
        // The store decides last: its refusal reaches the screen in its words.
        let (lead, store) = driver([entry(15, "reply", .failed, error: "refused")])
        store.refuseNext = "That delivery is already ready."
        lead.send(.keyPressed(.char("S")))
        XCTAssertEqual(lead.state.flash?.text, "That delivery is already ready.")
        XCTAssertEqual(lead.state.flash?.isError, true)
    }

    func testRetryAndCancelAreInTheKeyMapAndHelp() {
        XCTAssertEqual(KeyMap.defaults.command(for: .char("S")), .retryDelivery)
        XCTAssertEqual(KeyMap.defaults.command(for: .char("X")), .cancelDelivery)
        XCTAssertEqual(KeyMap.defaults.command(for: .char("R")), .freeReply, "free reply keeps its key")
        let help = Renderer.helpLines(.defaults).map { $0.atoms.map(\.0.text).joined() }
        XCTAssertTrue(help.contains { $0.hasPrefix("  S ") && $0.contains("[retry-delivery]") }, "\(help)")
        XCTAssertTrue(help.contains { $0.hasPrefix("  X ") && $0.contains("[cancel-delivery]") })
    }
}
