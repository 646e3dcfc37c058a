import Foundation
import XCTest

/// A test case with a temporary folder of its own for inbox files, removed afterwards.
class InboxFolderTestCase: XCTestCase {
    var dir: URL!
    /// The usual inbox file in that folder.
    var path: String { dir.appendingPathComponent("inbox.sqlite").path }

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("rounds-\(Self.self)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try FileManager.default.removeItem(at: dir)
    }
}
