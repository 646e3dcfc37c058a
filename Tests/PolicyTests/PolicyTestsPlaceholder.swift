import XCTest

final class PolicyTestsPlaceholder: XCTestCase {
    func testBuilds() { XCTAssertTrue(true) }
}
