import Foundation
import InboxModel
@testable import Policy
import XCTest

/// Which reply goes on key 1.
final class RecommendationTests: XCTestCase {
    func testAnEmergencyHeldAtReviewGetsNoAutomaticCrisisReply() throws {
        let p = try Fixture.policies()
        let c = Classifier(policies: p)
        let joke = c.classify("Casi me da un infarto con la factura jaja", kind: .comment)
        XCTAssertEqual(joke.hit(.emergency)?.decision, .review, "figurative use is held for review, never dropped")
        XCTAssertNil(joke.template, "a person decides; the 911 reply is not recommended")
        XCTAssertFalse(p.templates(for: joke, kind: .comment).isEmpty, "the emergency replies are still offered")

        let real = c.classify("chest pain right now and my left arm is numb", kind: .dm)
        XCTAssertNotNil(real.hit(.emergency))
        XCTAssertTrue(real.template?.hasPrefix("emergency") == true, "\(String(describing: real.template))")
        XCTAssertEqual(p.templates(for: real, kind: .dm).first?.templateID, real.template)
    }
}
