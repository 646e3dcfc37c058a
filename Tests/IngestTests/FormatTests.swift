import Foundation
import InboxModel
@testable import Ingest
import XCTest

/// The documented shapes beyond the fixtures, and native JSONL / CSV.
final class FormatTests: XCTestCase {
    var tmp: TempFiles!
    override func setUpWithError() throws { tmp = try TempFiles() }
    override func tearDown() { tmp = nil }

    func testXWithUsersRepliesAndDMEvents() throws {
        let body = """
        {"data": [{"id": "1800000000000000001", "text": "@RiverMedical is the ER open?", "author_id": "42",
                   "created_at": "2026-11-28T14:05:09.000Z", "conversation_id": "1800000000000000001", "lang": "en"},
                  {"id": "1800000000000000002", "text": "@RiverMedical thanks!", "author_id": "43",
                   "created_at": "2026-11-28T15:00:00.000Z", "conversation_id": "1799", "in_reply_to_user_id": "7",
                   "referenced_tweets": [{"type": "replied_to", "id": "1799"}]}],
         "includes": {"users": [{"id": "42", "username": "ana_p", "name": "Ana P"}, {"id": "43", "username": "bo", "name": "Bo"}]},
         "meta": {"result_count": 2}}
        """
        let r = try read(file: tmp.file("x.json", body))
        XCTAssertEqual(r.rejected, [])
        XCTAssertEqual(r.messages.count, 2)
        XCTAssertEqual(r.messages[0].kind, .mention)
        XCTAssertEqual(r.messages[0].authorHandle, "ana_p")
        XCTAssertEqual(r.messages[0].authorName, "Ana P")
        XCTAssertEqual(r.messages[0].receivedAt, utc("2026-11-28T14:05:09Z"))
        XCTAssertEqual(r.messages[0].language, "en")
        XCTAssertEqual(r.messages[1].kind, .reply)
        XCTAssertEqual(r.messages[1].parentID, "1799")

        let dm = """
        {"data": [{"id": "9001", "event_type": "MessageCreate", "text": "my mother fell", "sender_id": "42",
                   "dm_conversation_id": "42-7", "created_at": "2026-11-28T16:00:00.000Z"},
                  {"id": "9002", "event_type": "ParticipantsJoin", "dm_conversation_id": "42-7"}]}
        """
        let d = try read(file: tmp.file("dm.json", dm))
        XCTAssertEqual(d.messages.count, 1)
        XCTAssertEqual(d.messages[0].kind, .dm)
        XCTAssertEqual(d.messages[0].postID, "42-7")
        XCTAssertEqual(d.messages[0].authorID, "42")
        XCTAssertEqual(d.skipped.count, 1, "a non-message event is counted as skipped, not lost")
    }

    func testGoogleReviews() throws {
        let one = """
        {"name": "accounts/1/locations/2/reviews/AbFvOqR1", "reviewId": "AbFvOqR1",
         "reviewer": {"displayName": "Maria G", "profilePhotoUrl": "https://x", "isAnonymous": false},
         "starRating": "TWO", "comment": "Waited 3 hours", "createTime": "2026-11-27T10:00:00Z", "updateTime": "2026-11-27T10:00:00Z"}
        """
        let r = try read(file: tmp.file("r.json", one))
        XCTAssertEqual(r.rejected, [])
        let m = try XCTUnwrap(r.messages.first)
        XCTAssertEqual(m.platform, .gbp)
        XCTAssertEqual(m.kind, .review)
        XCTAssertEqual(m.externalID, "AbFvOqR1")
        XCTAssertEqual(m.rating, 2)
        XCTAssertEqual(m.authorName, "Maria G")
        XCTAssertEqual(m.text, "Waited 3 hours")
        XCTAssertEqual(m.postID, "accounts/1/locations/2")

        let list = """
        {"reviews": [
          {"name": "accounts/1/locations/2/reviews/A1", "reviewer": {"isAnonymous": true}, "starRating": "FIVE", "createTime": "2026-11-27T10:00:00Z"},
          {"reviewId": "A2", "reviewer": {"displayName": "Lee"}, "starRating": "SIX", "comment": "?", "createTime": "2026-11-27T11:00:00Z"}
        ], "averageRating": 4.1, "totalReviewCount": 2}
        """
        let l = try read(file: tmp.file("l.json", list))
        XCTAssertEqual(l.messages.count, 1)
        XCTAssertEqual(l.messages[0].externalID, "A1")
        XCTAssertNil(l.messages[0].authorName, "anonymous reviewers keep no name")
        XCTAssertEqual(l.messages[0].text, "", "a rating without a comment is still a review")
        XCTAssertEqual(l.rejected.count, 1)
        XCTAssertEqual(l.rejected[0].location, "reviews[1].starRating")
        XCTAssertEqual(l.rejected[0].line, 1)
    }

    func testMetaArrayAndLinesAndMessagingVariants() throws {
        func payload(_ mid: String, _ message: String) -> String {
            #"{"object": "page", "entry": [{"id": "1", "time": 1764300000, "messaging": [{"sender": {"id": "5"}, "recipient": {"id": "1"}, "timestamp": 1764300000123, "message": \#(message)}]}]}"#
                .replacingOccurrences(of: "MID", with: mid)
        }
        let lines = [
            payload("m1", #"{"mid": "MID", "text": "hi"}"#),
            payload("m2", #"{"mid": "MID", "attachments": [{"type": "image", "payload": {"url": "https://x"}}]}"#),
            payload("m3", #"{"mid": "MID", "text": "that one", "reply_to": {"mid": "m1"}}"#),
            payload("m4", #"{"mid": "MID", "text": "sent by the page", "is_echo": true}"#),
        ]
        let asLines = try read(file: tmp.file("lines.json", lines.joined(separator: "\n")))
        XCTAssertEqual(asLines.rejected, [])
        XCTAssertEqual(asLines.messages.map(\.externalID), ["m1", "m2", "m3"])
        XCTAssertEqual(asLines.messages[1].text, "[attachment: image]")
        XCTAssertEqual(asLines.messages[2].parentID, "m1")
        XCTAssertEqual(asLines.skipped.count, 1)

        let asArray = try read(file: tmp.file("array.json", "[\n" + lines.joined(separator: ",\n") + "\n]\n"))
        XCTAssertEqual(asArray.messages.map(\.externalID), ["m1", "m2", "m3"])

        let ig = """
        {"object": "instagram", "entry": [{"id": "17841", "time": 1764300000, "changes": [{"field": "comments",
          "value": {"from": {"id": "99", "username": "kay.r"}, "media": {"id": "1801", "media_product_type": "FEED"},
                    "id": "1802", "parent_id": "1800", "text": "same question"}}]}]}
        """
        let i = try read(file: tmp.file("ig.json", ig))
        let c = try XCTUnwrap(i.messages.first)
        XCTAssertEqual(c.kind, .reply)
        XCTAssertEqual(c.authorHandle, "kay.r")
        XCTAssertEqual(c.postID, "1801")
        XCTAssertEqual(c.parentID, "1800")
    }

    func testNativeJSONLines() throws {
        let text = """
        {"platform": "facebook", "kind": "comment", "id": "c1", "author": "ana", "author_name": "Ana", "text": "Is the garage open?", "created_at": "2026-11-28T09:00:00Z", "post_id": "p1", "parent_id": "p1", "language": "en"}
        {"platform": "gbp", "kind": "review", "id": "r1", "text": "Great nurses", "rating": 5}
        {"platform": "messenger", "id": "d1", "text": "hola", "visibility": "private"}
        """
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let r = try read(file: tmp.file("n.jsonl", text), now: now)
        XCTAssertEqual(r.rejected, [])
        XCTAssertEqual(r.messages.count, 3)
        XCTAssertEqual(r.messages[0].authorHandle, "ana")
        XCTAssertEqual(r.messages[0].postID, "p1")
        XCTAssertEqual(r.messages[0].receivedAt, utc("2026-11-28T09:00:00Z"))
        XCTAssertEqual(r.messages[1].rating, 5)
        XCTAssertEqual(r.messages[1].visibility, .public)
        XCTAssertEqual(r.messages[1].receivedAt, now, "created_at defaults to now")
        XCTAssertEqual(r.messages[2].kind, .dm, "messenger defaults to dm")
        XCTAssertEqual(r.messages[2].visibility, .private)
    }

    func testNativeCSVWithQuotedNewlines() throws {
        let csv = "platform,kind,id,author,text,created_at,rating\r\n"
            + "facebook,comment,c1,ana,\"He said \"\"hi\"\"\nthen left, fine\",2026-11-28T09:00:00Z,\r\n"
            + "gbp,review,r1,bo,Good,2026-11-28T10:00:00Z,4\r\n"
            + "gbp,review,r2,bo,Bad,2026-11-28T10:00:00Z,nine\r\n"
            + "x,mention,t1,cy,short row\r\n"
        let r = try read(file: tmp.file("n.csv", csv))
        XCTAssertEqual(r.messages.count, 2)
        XCTAssertEqual(r.messages[0].text, "He said \"hi\"\nthen left, fine")
        XCTAssertEqual(r.messages[1].rating, 4)
        XCTAssertEqual(r.rejected.map(\.line), [5, 6], "the quoted field spans lines 2-3")
        XCTAssertTrue(r.rejected[0].reason.contains("rating"))
        XCTAssertTrue(r.rejected[1].reason.contains("fields"))
    }

    func testTimeFormats() {
        XCTAssertEqual(TimeParser.parse("2026-11-29T08:30:00Z"), utc("2026-11-29T08:30:00Z"))
        XCTAssertEqual(TimeParser.parse("2016-03-23T17:49:37+0000"), utc("2016-03-23T17:49:37Z"))
        XCTAssertEqual(TimeParser.parse("2026-11-29T08:30:00-05:00"), utc("2026-11-29T13:30:00Z"))
        XCTAssertEqual(TimeParser.parse("2026-02-28 23:59:59Z"), utc("2026-02-28T23:59:59Z"))
        XCTAssertEqual(TimeParser.parse("2024-02-29T00:00:00Z"), utc("2024-02-29T00:00:00Z"), "a leap day")
        XCTAssertEqual(TimeParser.parse("2026-11-29T08:30-05"), utc("2026-11-29T13:30:00Z"))
        XCTAssertEqual(TimeParser.parse("1457764197627"), Date(timeIntervalSince1970: 1457764197.627))
        XCTAssertEqual(TimeParser.parse("2026-11-29T08:30:00.250Z")!.timeIntervalSince1970, utc("2026-11-29T08:30:00Z").timeIntervalSince1970 + 0.25, accuracy: 0.0001)
        XCTAssertNil(TimeParser.parse("yesterday"))
        XCTAssertNil(TimeParser.parse("2026-13-01"))
        XCTAssertNil(TimeParser.parse("2026-11-29T25:00:00Z"))
    }

    /// Impossible dates and malformed offsets were read as other instants (31 February became
    /// 3 March; "+05:" an offset of five hours); a time without a zone was silently UTC.
    func testImpossibleDatesAndMalformedOffsetsAreRejected() {
        for bad in ["2026-02-29T10:00:00Z", "2026-02-31T10:00:00Z", "2026-04-31T10:00:00Z", "2100-02-29T00:00:00Z",
                    "2026-00-10T10:00:00Z", "2026-11-00T10:00:00Z", "2026-11-29T24:00:00Z", "2026-11-29T08:60:00Z",
                    "2026-11-29T08:30:60Z", "2026-11-29T08:30:00+05:", "2026-11-29T08:30:00+5", "2026-11-29T08:30:00+24:00",
                    "2026-11-29T08:30:00+05:60", "2026-11-29T08:30:00+05:0", "2026-11-29T08:30:00.Z", "2026-11-29T08:30:00",
                    "2026-11-29 08:30", "2026-11-29", "2026-11-29T08:30:00Zjunk", "2026-11-29T08:30:00+05:00:00"] {
            XCTAssertNil(TimeParser.parse(bad), bad)
        }
        guard case .failure(let why) = TimeParser.read("2026-02-31T10:00:00Z") else { return XCTFail("accepted") }
        XCTAssertEqual(why.description, "there is no day 31 in 2026-02")
        guard case .failure(let zone) = TimeParser.read("2026-11-29T08:30:00") else { return XCTFail("accepted") }
        XCTAssertTrue(zone.description.contains("without a zone"), zone.description)
    }

    /// The parser against Foundation's `ISO8601DateFormatter` on RFC 3339 texts generated from
    /// valid and invalid parts. Where every part is valid (known by construction), both read the
    /// same instant. Where one is not, the parser rejects the text; Foundation on Linux is
    /// lenient there (hour 24, day 31 of February, "+5", "+05:" and "+25:00" become instants),
    /// which is what this parser must not copy.
    func testAgreesWithFoundationOnValidTimesAndIsStricterOnInvalidOnes() {
        let foundation = ISO8601DateFormatter()
        foundation.formatOptions = [.withInternetDateTime]
        var rng = SystemRandomNumberGenerator()
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        func monthLength(_ m: Int, _ y: Int) -> Int {
            [31, (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]
        }
        let goodZones = ["Z", "+00:00", "-05:00", "+05:30", "+14:00", "-23:59"]
        let badZones = ["+25:00", "+05:61", "+05:", "+5", "", "+0530:", "05:00"]
        var valid = 0, invalid = 0, foundationLenient = 0
        for _ in 0..<20_000 {
            let year = [1999, 2000, 2024, 2026, 2100][Int.random(in: 0..<5, using: &rng)]
            let month = Int.random(in: 0...13, using: &rng), day = Int.random(in: 0...32, using: &rng)
            let hour = Int.random(in: 0...25, using: &rng), minute = Int.random(in: 0...61, using: &rng)
            let second = Int.random(in: 0...61, using: &rng)
            let goodZone = Bool.random(using: &rng)
            let zone = goodZone ? goodZones.randomElement(using: &rng)! : badZones.randomElement(using: &rng)!
            let text = "\(year)-\(two(month))-\(two(day))T\(two(hour)):\(two(minute)):\(two(second))\(zone)"
            let partsValid = (1...12).contains(month) && (1...monthLength(month, year)).contains(day)
                && hour < 24 && minute < 60 && second < 60 && goodZone
            let ours = TimeParser.parse(text), theirs = foundation.date(from: text)
            if partsValid {
                valid += 1
                XCTAssertNotNil(ours, text)
                XCTAssertEqual(ours, theirs, text)
            } else {
                invalid += 1
                XCTAssertNil(ours, text)
                if theirs != nil { foundationLenient += 1 }
            }
        }
        XCTAssertGreaterThan(valid, 500, "the corpus holds valid times")
        XCTAssertGreaterThan(invalid, 5000, "and invalid ones")
        XCTAssertGreaterThan(foundationLenient, 0, "Foundation accepts some of them: the reason this parser is ours")
    }
}
