import Connections
import Foundation
import XCTest

/// The connections file: what it accepts, what it refuses, and that no secret ever shows.
final class ConnectionsFileTests: XCTestCase {
    func testAFullFileParsesWithItsDefaults() throws {
        let c = try Connections.parse(TestSecrets.connections(xURL: "https://api.x.com", gbpURL: "https://mybusiness.googleapis.com/"),
                                      path: "c.yml")
        XCTAssertEqual(c.meta?.pages.first?.id, "1234567890")
        XCTAssertEqual(c.meta?.pages.first?.instagramAccountID, "17841400000000000")
        XCTAssertEqual(c.meta?.graphURL, "http://127.0.0.1:9")
        let minimal = try Connections.parse("meta:\n  app_secret: a\n  verify_token: v\n  pages: [{id: '1', access_token: t}]\n", path: "m.yml")
        XCTAssertEqual(minimal.meta?.graphURL, "https://graph.facebook.com/v25.0", "the default")
        XCTAssertEqual(c.meta?.appSecret.reveal(), TestSecrets.appSecret)
        XCTAssertEqual(c.x?.userID, "42")
        XCTAssertEqual(c.x?.pollMentions, true)
        XCTAssertEqual(c.gbp?.apiURL, "https://mybusiness.googleapis.com", "a trailing slash is dropped")
        XCTAssertEqual(c.gbp?.locations, ["accounts/111/locations/222"])
        // Printing any part of it shows no secret.
        let printed = "\(c.meta!) \(c.x!) \(c.gbp!) \(c.summary)"
        for s in TestSecrets.all { XCTAssertFalse(printed.contains(s), "a printed value shows a secret") }
        XCTAssertTrue(printed.contains("‹secret›"))
    }

    func testMistakesAreRefusedWithTheLineAndWithoutTheSecret() {
        func refusal(_ yaml: String) -> ConnectionsError? {
            do { _ = try Connections.parse(yaml, path: "c.yml"); return nil } catch { return error as? ConnectionsError }
        }
        XCTAssertEqual(refusal("meta:\n  app_secret: abcdefgh\n  verify_tokn: xyz\n")?.line, 3)
        XCTAssertTrue(refusal("meta:\n  app_secret: abcdefgh\n  verify_tokn: xyz\n")?.message.contains("unknown key 'meta.verify_tokn'") ?? false)
        let spaced = refusal("meta:\n  app_secret: \"has a space-SECRETVALUE\"\n  verify_token: v\n  pages: [{id: '1', access_token: t}]\n")
        XCTAssertEqual(spaced?.line, 2)
        XCTAssertFalse(spaced?.description.contains("SECRETVALUE") ?? true, "the secret is not quoted back")
        XCTAssertTrue(refusal("x:\n  user_id: '42'\n")?.message.contains("bearer_token or oauth2") ?? false)
        XCTAssertTrue(refusal("gbp:\n  locations: [locations/2]\n  client_id: c\n  client_secret: s\n  refresh_token: r\n")?.message
            .contains("is not accounts/{account}/locations/{location}") ?? false)
        XCTAssertTrue(refusal("meta:\n  app_secret: a\n  verify_token: v\n  graph_url: ftp://x\n  pages: [{id: '1', access_token: t}]\n")?.message
            .contains("is not an http(s) URL") ?? false)
        XCTAssertTrue(refusal("x:\n  user_id: '../../1'\n  bearer_token: b\n")?.message.contains("is not an id") ?? false)
        XCTAssertTrue(refusal("# nothing\n")?.message.contains("empty") ?? false)
        XCTAssertTrue(refusal("meta: [\n")?.message.contains("not valid YAML") ?? false)
    }

    func testFilesOthersCanReadOrThatBelongToSomeoneElseAreRefused() throws {
        let s = try Scratch()
        let path = try s.write("c.yml", TestSecrets.connections())
        XCTAssertNoThrow(try Connections.load(path: path))
        for mode in [0o644, 0o604, 0o660, 0o620] {
            chmod(path, mode_t(mode))
            XCTAssertThrowsError(try Connections.load(path: path), String(format: "mode %o", mode)) { e in
                XCTAssertTrue("\(e)".contains("chmod 600"), "\(e)")
            }
        }
        // Group-readable only for the service's own group.
        chmod(path, 0o640)
        XCTAssertNoThrow(try Connections.load(path: path))
        if geteuid() == 0 {
            chown(path, 0, getegid() == 65534 ? 0 : 65534)
            XCTAssertThrowsError(try Connections.load(path: path)) { XCTAssertTrue("\($0)".contains("only the service's own group")) }
            chown(path, 0, getegid())
        }
        chmod(path, 0o600)
        let link = s.path("link.yml")
        symlink(path, link)
        XCTAssertThrowsError(try Connections.load(path: link)) { XCTAssertTrue("\($0)".contains("symbolic link")) }
        if geteuid() == 0 {
            chown(path, 65534, 65534)
            XCTAssertThrowsError(try Connections.load(path: path)) { XCTAssertTrue("\($0)".contains("is owned by user 65534")) }
        }
    }

    /// `rounds connections check` and `rounds serve` refuse the same way, with status 1.
    func testTheCommandsRefuseAnOpenFile() throws {
        let s = try Scratch()
        let path = try s.write("c.yml", TestSecrets.connections(), mode: 0o644)
        let check = try rounds(["connections", "check", "--connections", path])
        XCTAssertEqual(check.status, 1)
        XCTAssertTrue(check.err.contains("open to every user (mode 644)"), check.err)
        let serve = try rounds(["serve", "--db", s.path("i.sqlite"), "--connections", path, "--listen", "127.0.0.1:0"])
        XCTAssertNotEqual(serve.status, 0)
        XCTAssertTrue(serve.err.contains("open to every user"), serve.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: s.path("i.sqlite")), "nothing is created before the file is accepted")
        let missing = try rounds(["connections", "check"], env: ["ROUNDS_CONNECTIONS": ""])
        XCTAssertEqual(missing.status, 2)
    }
}
