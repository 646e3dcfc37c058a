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

/// Each moderator action names the policy version in force; rows written before the column
/// existed still verify (their hash leaves it out), and changing it afterwards is detected.
final class PolicyVersionInAuditTests: InboxFolderTestCase {
    func testActionsCarryThePolicyVersionUnderTheChain() throws {
        let inbox = try InboxDatabase(path: path)
        try inbox.store([ClassifiedMessage(IncomingMessage(platform: .x, kind: .mention, externalID: "m1", text: "hello", receivedAt: Date()))])
        try inbox.audit(AuditEvent(at: 1, moderator: "sys", role: "system", action: "note"))  // no version, as before
        let store = SQLiteConsoleStore(inbox: inbox, role: "moderator")
        store.policyVersion = { "a7baec26" }
        let id = try XCTUnwrap(store.page(queue: .all, query: .all, moderator: "mo", anchor: .start, limit: 5).first?.id)
        _ = try store.perform(.markDone(message: id), moderator: "mo").get()
        XCTAssertEqual(try inbox.auditEvents().map(\.policyVersion), [nil, "a7baec26"])
        XCTAssertEqual(try inbox.verifyAuditChain(), .intact(events: 2))
        try inbox.pool.writeWithoutTransaction { db in
            try db.execute(sql: "DROP TRIGGER action_is_append_only_update")
            try db.execute(sql: "UPDATE action SET policy_version = 'forged' WHERE id = 2")
        }
        guard case .broken(_, let bad, _) = try inbox.verifyAuditChain() else { return XCTFail("a changed policy version went unnoticed") }
        XCTAssertEqual(bad, 2)
    }
}
