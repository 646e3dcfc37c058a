import Console
@testable import ConsoleAdapters
import Foundation
import GRDB
import InboxModel
@testable import Store
import XCTest

/// A real SQLite inbox with one Facebook comment (on page 111's post), a lead's and a
/// moderator's console store over it. Holds no tests of its own.
class DeliveryInboxTestCase: InboxFolderTestCase {
    var inbox: InboxDatabase!
    var lead: SQLiteConsoleStore!
    var moderator: SQLiteConsoleStore!
    var messageID: Int64 = 0

    override func setUpWithError() throws {
        try super.setUpWithError()
        inbox = try InboxDatabase(path: path)
        try inbox.store([ClassifiedMessage(IncomingMessage(
            platform: .facebook, kind: .comment, externalID: "111_222_333", postID: "111_222", authorID: "p1",
            authorHandle: "pat", text: "When are you open?", receivedAt: Date().addingTimeInterval(-600)), classification: nil)])
        // No team in the inbox: each store acts with the role it was opened with.
        lead = SQLiteConsoleStore(inbox: inbox, role: "lead")
        moderator = SQLiteConsoleStore(inbox: inbox, role: "moderator")
        messageID = try XCTUnwrap(lead.page(queue: .all, query: .all, moderator: "lee", anchor: .start, limit: 1).first).id
    }

    override func tearDownWithError() throws {
        inbox = nil; lead = nil; moderator = nil
        try super.tearDownWithError()
    }

    /// A reply queued by ana, released, taken by a worker and refused by the platform.
    func failedReply() throws -> Int64 {
        let queued = try moderator.perform(.queueReply(message: messageID, text: "9 to 5", templateID: nil, visibility: .public, override: nil),
                                           moderator: "ana").get()
        let outbox = try XCTUnwrap(queued.outboxID)
        _ = try moderator.perform(.releaseReply(outbox: outbox), moderator: "ana").get()
        XCTAssertEqual(try inbox.leaseDeliveries(owner: "w1", limit: 10).map(\.id), [outbox])
        XCTAssertTrue(try inbox.finishDelivery(outbox, owner: "w1", outcome: .failed(reason: "the person cannot receive messages", code: "551")))
        return outbox
    }

    func outboxRow(_ id: Int64) throws -> Row {
        try XCTUnwrap(inbox.pool.read { try Row.fetchOne($0, sql: "SELECT * FROM outbox WHERE id = ?", arguments: [id]) })
    }
}

/// What the console's detail reads of deliveries: each entry of the message and whether it
/// has a connection to leave through.
final class DeliveryDetailTests: DeliveryInboxTestCase {
    func testTheDetailListsEachDeliveryAndFailuresAreCounted() throws {
        XCTAssertEqual(try lead.failedDeliveryCount(), 0)
        XCTAssertEqual(try lead.detail(id: messageID)?.deliveries, [])
        let outbox = try failedReply()
        XCTAssertEqual(try lead.failedDeliveryCount(), 1)
        let shown = try XCTUnwrap(lead.detail(id: messageID)?.deliveries)
        XCTAssertEqual(shown.map(\.outboxID), [outbox])
        XCTAssertEqual(shown.map(\.state), [.failed])
        XCTAssertEqual(shown.first?.action, "reply")
        XCTAssertEqual(shown.first?.visibility, .public)
        XCTAssertEqual(shown.first?.moderator, "ana")
        XCTAssertEqual(shown.first?.lastError, "the person cannot receive messages")
        XCTAssertEqual(shown.first?.errorCode, "551")
        XCTAssertNil(shown.first?.sentAt)
    }

    func testTheDetailSaysWhenAMessageHasNoConnectionOrAPausedOne() throws {
        // No server published its accounts: nothing to warn about.
        XCTAssertNil(try lead.detail(id: messageID)?.connectionProblem)
        // Two pages, neither the one the comment arrived on (post 111_222 is page 111's).
        try inbox.publishDeliveryAccounts([DeliveryAccount(platform: "facebook", account: "998"),
                                           DeliveryAccount(platform: "facebook", account: "999")])
        XCTAssertEqual(try lead.detail(id: messageID)?.connectionProblem, .noAccount)
        try inbox.publishDeliveryAccounts([DeliveryAccount(platform: "facebook", account: "111"),
                                           DeliveryAccount(platform: "facebook", account: "999")])
        XCTAssertNil(try lead.detail(id: messageID)?.connectionProblem)
        try inbox.pool.write { try $0.execute(sql: "UPDATE delivery_account SET paused_reason = 'token expired (190)' WHERE account = '111'") }
        XCTAssertEqual(try lead.detail(id: messageID)?.connectionProblem, .paused(reason: "token expired (190)"))
    }
}
