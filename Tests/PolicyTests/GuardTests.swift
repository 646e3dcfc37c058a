import Foundation
import XCTest
@testable import Policy
import InboxModel

final class GuardTests: XCTestCase {
    var g: ReplyGuard!
    var p: PolicySet!
    override func setUpWithError() throws {
        p = try Fixture.policies()
        g = ReplyGuard(policies: p)
    }

    func codes(_ reply: String, original: String = "", author: String? = nil, platform: Platform = .facebook, isPublic: Bool = true) -> Set<String> {
        Set(g.check(reply: reply, original: original, authorName: author, platform: platform, isPublic: isPublic).map(\.code))
    }

    func testEveryShippedTemplatePassesTheGuard() {
        XCTAssertGreaterThanOrEqual(p.replyTemplates.count, 10)
        for t in p.replyTemplates {
            for platform in Platform.allCases where platform != .x {
                let v = g.check(reply: p.render(t.body), original: "", authorName: nil, platform: platform, isPublic: true)
                XCTAssertEqual(v, [], "\(t.id) on \(platform): \(v)")
            }
            XCTAssertFalse(p.render(t.body).contains("{{"), t.id)
        }
        for flag in [FlagName.emergency, .symptomQuestion, .phiExposure, .offensive, .reviewFeedback] {
            for lang in ["en", "es"] {
                XCTAssertTrue(p.replyTemplates.contains { $0.flag == flag && $0.language == lang }, "\(flag) \(lang)")
            }
        }
    }

    func testBlocksIdentifiers() {
        XCTAssertTrue(codes("Call Jane at (617) 867-5309").contains("phi_identifier"))
        XCTAssertTrue(codes("We emailed jane@example.com").contains("phi_identifier"))
        XCTAssertTrue(codes("Your MRN 00482913 is on file").contains("phi_identifier"))
        XCTAssertEqual(codes("Call us at (617) 555-0142, text 988 or call 1-800-222-1222"), [])
    }

    func testBlocksLinksOutsideTheAllowList() {
        XCTAssertTrue(codes("See https://tinyurl.example/abc for details").contains("link_not_allowed"))
        XCTAssertFalse(codes("Book at https://www.riversidehealth.example/book").contains("link_not_allowed"))
    }

    func testBlocksNameNextToClinicalWord() {
        XCTAssertTrue(codes("Maria, we hope your diabetes is better", author: "Maria Lopez").contains("name_with_health_info"))
        XCTAssertFalse(codes("Thanks Maria, we appreciate it", author: "Maria Lopez").contains("name_with_health_info"))
    }

    func testBlocksConfirmingARelationship() {
        for r in ["We're sorry about your visit", "Thanks for your feedback about your procedure",
                  "We reviewed your chart and everything is fine", "Your doctor will call", "We're glad Dr. Patel helped",
                  "When you were here the ER was busy", "Lamentamos lo de su visita", "Revisamos su expediente", "Su médico le llamará"] {
            let c = codes(r)
            XCTAssertTrue(c.contains("confirms_patient") || c.contains("names_clinician"), r)
        }
        XCTAssertTrue(codes("We're glad Dr. Patel helped").contains("names_clinician"))
    }

    func testBlocksVisitDate() {
        XCTAssertTrue(codes("Sorry about what happened on March 3").contains("visit_date"))
        XCTAssertTrue(codes("Sorry about 3/14/2024").contains("visit_date"))
        XCTAssertTrue(codes("Lamentamos lo del 3 de marzo").contains("visit_date"))
    }

    func testLengthLimitCountsURLsOn_X() {
        let long = String(repeating: "a", count: 270) + " https://www.riversidehealth.example/a/very/long/path/that/is/long"
        XCTAssertEqual(ReplyGuard.length(of: long, platform: .x), 271 + 23)
        XCTAssertTrue(codes(long, platform: .x).contains("too_long"))
        XCTAssertFalse(codes(long, platform: .facebook).contains("too_long"))
        let ok = String(repeating: "a", count: 250) + " https://www.riversidehealth.example/a/very/long/path/that/is/long"
        XCTAssertFalse(codes(ok, platform: .x).contains("too_long"))
    }

    func testBlocksPrivateDetailsInPublicReply() {
        let original = "I have a terrible migraine, my number is (617) 867-5309"
        XCTAssertTrue(codes("Sorry about the migraine", original: original).contains("private_in_public"))
        XCTAssertFalse(codes("Sorry about the migraine", original: original, isPublic: false).contains("private_in_public"))
        XCTAssertTrue(codes("We'll call (617) 867-5309", original: original).contains("private_in_public"))
    }

    func testViolationsHaveSpansAndPlainMessages() throws {
        let v = try XCTUnwrap(g.check(reply: "Hi! About your visit", original: "", authorName: nil, platform: .facebook, isPublic: true).first)
        XCTAssertEqual(v.span, [10, 20])
        XCTAssertFalse(v.message.isEmpty)
    }
}
