import Foundation
import InboxModel
@testable import rounds
import Store
import XCTest

/// `:export [FOLDER]`: leads only, to a folder named once (kept in the inbox, audited), never a
/// link or a folder every user can write to; the file appears after its audit row.
final class ConsoleExportTests: XCTestCase {
    func testExportGoesToTheFolderALeadNamedOnce() throws {
        let tmp = try TempDir()
        let inbox = try InboxDatabase(path: tmp.path("inbox.sqlite"))
        try inbox.makeFirstLead("lea")
        try inbox.setMember("mo", role: .moderator, by: "lea")
        let zone = TimeZone(identifier: "UTC")!

        guard case .failure(let none) = exportToday(inbox: inbox, zone: zone, moderator: "lea", folder: nil) else { return XCTFail("no folder yet") }
        XCTAssertTrue(none.message.contains(":export /path"), none.message)
        guard case .failure = exportToday(inbox: inbox, zone: zone, moderator: "mo", folder: tmp.url.path) else { return XCTFail("a moderator exported") }

        let open = tmp.path("open")
        try FileManager.default.createDirectory(atPath: open, withIntermediateDirectories: false)
        chmod(open, 0o777)
        guard case .failure(let shared) = exportToday(inbox: inbox, zone: zone, moderator: "lea", folder: open) else { return XCTFail("world-writable folder") }
        XCTAssertTrue(shared.message.contains("every user"), shared.message)
        let link = tmp.path("link")
        XCTAssertEqual(symlink(tmp.url.path, link), 0)
        guard case .failure = exportToday(inbox: inbox, zone: zone, moderator: "lea", folder: link) else { return XCTFail("a linked folder") }

        let folder = tmp.path("exports")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o750])
        guard case .success(let first) = exportToday(inbox: inbox, zone: zone, moderator: "lea", folder: folder) else { return XCTFail("export failed") }
        XCTAssertTrue(first.hasPrefix(folder + "/rounds-export-"), first)
        XCTAssertTrue(FileManager.default.fileExists(atPath: first + ".sha256"))
        var st = stat()
        XCTAssertEqual(stat(first, &st), 0)
        XCTAssertEqual(st.st_mode & 0o777, 0o600)
        XCTAssertEqual(try inbox.setting("export_folder"), folder)
        let events = try inbox.auditEvents().map(\.action)
        XCTAssertEqual(events.filter { $0 == "export_folder" }.count, 1)
        XCTAssertEqual(events.filter { $0 == "export" }.count, 1)
        XCTAssertTrue(try inbox.auditEvents().last?.detail?.contains("sha256 ") == true)
    }
}
