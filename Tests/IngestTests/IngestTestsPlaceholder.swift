import XCTest

final class IngestTestsPlaceholder: XCTestCase {
    func testBuilds() { XCTAssertTrue(true) }
}
