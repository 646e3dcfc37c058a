import ConsoleAdapters
import Foundation
import InboxModel
@testable import Store
import XCTest

/// The store checks the acting moderator's role against the inbox's team inside the action's
/// own transaction: a console opened with a role the team does not give acts with the team's.
final class TeamRosterTests: InboxFolderTestCase {
    func testTheTeamInTheInboxDecidesNotTheRoleTheStoreWasOpenedWith() throws {
        let inbox = try InboxDatabase(path: path)
        try inbox.store([ClassifiedMessage(IncomingMessage(platform: .facebook, kind: .comment, externalID: "c1", text: "spam spam",
                                                           receivedAt: Date()))])
        try inbox.makeFirstLead("lea")
        try inbox.setMember("mo", role: .moderator, by: "lea")
        // A console that believes mo is a lead (a forged folder, an old binary): still a moderator.
        let forged = SQLiteConsoleStore(inbox: inbox, role: "lead")
        let id = try XCTUnwrap(forged.page(queue: .all, query: .all, moderator: "mo", anchor: .start, limit: 5).first?.id)
        guard case .failure(let refusal) = forged.perform(.delete(message: id, reasonCode: "spam"), moderator: "mo") else {
            return XCTFail("a moderator deleted a message")
        }
        XCTAssertTrue(refusal.message.contains("moderator"), refusal.message)
        XCTAssertNoThrow(try forged.perform(.hide(message: id, reasonCode: "spam"), moderator: "mo").get())
        XCTAssertEqual(try inbox.auditEvents().last.map { "\($0.moderator) \($0.role) \($0.action)" }, "mo moderator hide")
        // Someone not on the team acts as nobody.
        guard case .failure = forged.perform(.note(message: id, text: "hi"), moderator: "stranger") else { return XCTFail("a stranger acted") }

        // A lead's team changes: never the last lead, never by a non-lead.
        XCTAssertThrowsError(try inbox.setMember("mo", role: .lead, by: "mo"))
        XCTAssertThrowsError(try inbox.removeMember("lea", by: "lea"))
        XCTAssertThrowsError(try inbox.setMember("lea", role: .trainee, by: "lea"))
        try inbox.setMember("mo", role: .lead, by: "lea")
        try inbox.setMember("lea", role: .trainee, by: "mo")
        XCTAssertEqual(try inbox.role(of: "lea"), .trainee)
        XCTAssertEqual(try inbox.verifyAuditChain(), .intact(events: 5), "two adds, the hide, two role changes; refusals leave nothing")
    }
}
