import Foundation
import InboxModel
@testable import Ingest
import XCTest

/// Each real payload in Tests/Fixtures/platforms, read into the messages its JSON describes.
/// Expectations come from reading the JSON files by hand.
final class FixtureTests: XCTestCase {
    func fixture(_ path: String) throws -> ReadResult {
        let r = try read(file: fixtures.appendingPathComponent(path))
        XCTAssertEqual(r.rejected, [], "\(path) must ingest without rejections")
        return r
    }

    func testFeedCommentAdd() throws {
        let r = try fixture("meta_page_feed/feed-comment-add-25.json")
        XCTAssertEqual(r.messages.count, 1)
        let m = try XCTUnwrap(r.messages.first)
        XCTAssertEqual(m.platform, .facebook)
        XCTAssertEqual(m.kind, .comment) // parent_id == post_id: a top-level comment
        XCTAssertEqual(m.externalID, "901097836652708_903438993085259")
        XCTAssertEqual(m.postID, "1234567890321_901097836652708")
        XCTAssertEqual(m.parentID, "1234567890321_901097836652708")
        XCTAssertEqual(m.authorID, "1234567890321")
        XCTAssertEqual(m.authorName, "Tester")
        XCTAssertEqual(m.text, "and the next one")
        XCTAssertEqual(m.receivedAt, Date(timeIntervalSince1970: 1449135003))
        XCTAssertEqual(m.visibility, .public)
        XCTAssertEqual(m.event, .created)
        XCTAssertTrue(m.rawPayload.contains("\"comment_id\": \"901097836652708_903438993085259\""))
        XCTAssertEqual(m.sourceFile, "feed-comment-add-25.json")
    }

    func testFeedCommentEditedHiddenRemoved() throws {
        let edited = try XCTUnwrap(try fixture("meta_page_feed/feed-comment-edited-25.json").messages.first)
        XCTAssertEqual(edited.event, .edited)
        XCTAssertEqual(edited.externalID, "900728623356296_900744590021366")
        XCTAssertEqual(edited.text, "Let's see the Webhooks in action :D")
        XCTAssertEqual(edited.receivedAt, Date(timeIntervalSince1970: 1448555737))

        let hidden = try XCTUnwrap(try fixture("meta_page_feed/feed-comment-hide.json").messages.first)
        XCTAssertEqual(hidden.event, .hidden)
        XCTAssertEqual(hidden.externalID, "900728623356296_900744590021366")
        XCTAssertEqual(hidden.authorName, "Tester")

        let removed = try XCTUnwrap(try fixture("meta_page_feed/feed-comment-remove-25.json").messages.first)
        XCTAssertEqual(removed.event, .removed)
        XCTAssertEqual(removed.externalID, "905578656204626_905579239537901")
        XCTAssertEqual(removed.authorID, "1234567890321")
        XCTAssertEqual(removed.authorName, "John Doe")
        XCTAssertEqual(removed.text, "")
        // No created_time: the entry's time is used.
        XCTAssertEqual(removed.receivedAt, Date(timeIntervalSince1970: 1452107182))
    }

    func testFeedPostAndStatus() throws {
        let post = try XCTUnwrap(try fixture("meta_page_feed/feed-post-add-25.json").messages.first)
        XCTAssertEqual(post.kind, .post)
        XCTAssertEqual(post.externalID, "1234567890321_7293787835232")
        XCTAssertEqual(post.authorID, "8423678347823")
        XCTAssertEqual(post.authorName, "John Doe")
        XCTAssertEqual(post.text, "Let's check this")
        XCTAssertNil(post.parentID)

        let status = try XCTUnwrap(try fixture("meta_page_feed/feed-status-add-25.json").messages.first)
        XCTAssertEqual(status.kind, .post)
        XCTAssertEqual(status.externalID, "1234567890321_930145403745849")
        XCTAssertEqual(status.text, "This is just a short test message")
        XCTAssertEqual(status.receivedAt, Date(timeIntervalSince1970: 1448633038))
    }

    func testMention() throws {
        let m = try XCTUnwrap(try fixture("meta_page_feed/mention-comment-add.json").messages.first)
        XCTAssertEqual(m.kind, .mention)
        XCTAssertEqual(m.platform, .facebook)
        XCTAssertEqual(m.externalID, "7363534231324_3754798971271444")
        XCTAssertEqual(m.postID, "1234567890321_7363534231324")
        XCTAssertEqual(m.text, "Just a test message")
        XCTAssertEqual(m.receivedAt, Date(timeIntervalSince1970: 1614340862))
        XCTAssertNil(m.authorID)
    }

    func testRatings() throws {
        let a = try XCTUnwrap(try fixture("meta_page_ratings/ratings-rating-add-25.json").messages.first)
        XCTAssertEqual(a.kind, .review)
        XCTAssertEqual(a.platform, .facebook)
        XCTAssertEqual(a.externalID, "904801129604590")
        XCTAssertEqual(a.authorID, "705955836155788")
        XCTAssertEqual(a.authorName, "Tester")
        XCTAssertEqual(a.rating, 3)
        XCTAssertEqual(a.text, "Ja ziemlich coole Sache")
        XCTAssertEqual(a.receivedAt, Date(timeIntervalSince1970: 1448795002)) // entry time

        let b = try XCTUnwrap(try fixture("meta_page_ratings/ratings-rating-add-31.json").messages.first)
        XCTAssertEqual(b.rating, 3)
        XCTAssertEqual(b.receivedAt, Date(timeIntervalSince1970: 1537369512)) // its own created_time
    }

    func testMessenger() throws {
        let m = try XCTUnwrap(try fixture("messenger/messaging-message-basic.json").messages.first)
        XCTAssertEqual(m.platform, .messenger)
        XCTAssertEqual(m.kind, .dm)
        XCTAssertEqual(m.visibility, .private)
        XCTAssertEqual(m.externalID, "mid.1457764197618:41d102a3e1ae206a38")
        XCTAssertEqual(m.authorID, "987654321432")
        XCTAssertEqual(m.text, "hello, world!")
        XCTAssertEqual(m.receivedAt.timeIntervalSince1970, 1457764197.627, accuracy: 0.001)

        let edit = try XCTUnwrap(try fixture("messenger/messaging-message-edits.json").messages.first)
        XCTAssertEqual(edit.event, .edited)
        XCTAssertEqual(edit.externalID, "mid.1457764197618:41d102a3e1ae206a38")

        let deleted = try XCTUnwrap(try fixture("messenger/messaging-message-isdeleted.json").messages.first)
        XCTAssertEqual(deleted.event, .removed)
        XCTAssertEqual(deleted.externalID, "message_id")
    }

    func testInstagramComments() throws {
        for file in ["instagram/wh-comments.json", "instagram/wh-livecomments.json"] {
            let m = try XCTUnwrap(try fixture(file).messages.first)
            XCTAssertEqual(m.platform, .instagram)
            XCTAssertEqual(m.kind, .comment)
            XCTAssertEqual(m.externalID, "123456789")
            XCTAssertEqual(m.text, "This is an example.")
            XCTAssertEqual(m.receivedAt, Date(timeIntervalSince1970: 1519399307))
        }
    }

    func testXTweetsMentionsAndDMs() throws {
        let one = try fixture("x_api_v2/get_tweet_0.json")
        XCTAssertEqual(one.messages.map(\.externalID), ["1293593516040269825"])
        XCTAssertTrue(one.messages[0].text.hasPrefix("It’s finally here! 🥁"))

        let two = try fixture("x_api_v2/get_tweets_0.json")
        XCTAssertEqual(two.messages.map(\.externalID), ["1293593516040269825", "1293595870563381249"])

        let mentions = try fixture("x_api_v2/users_mentions_0.json")
        XCTAssertEqual(mentions.messages.count, 10)
        XCTAssertEqual(mentions.messages[3].text, "@MercyKnifed @Twitter what the fuck???")
        XCTAssertTrue(mentions.messages.allSatisfy { $0.platform == .x && $0.kind == .mention && $0.visibility == .public })

        let dms = try fixture("x_api_v2/dm_events_4.json")
        XCTAssertEqual(dms.messages.map(\.text), ["Testing 2", "Testing 1"])
        XCTAssertTrue(dms.messages.allSatisfy { $0.kind == .dm && $0.visibility == .private })

        let none = try fixture("x_api_v2/dm_events_3.json")
        XCTAssertEqual(none.messages.count, 0)
    }

    func testEveryFixtureIngests() throws {
        let files = FileManager.default.enumerator(at: fixtures, includingPropertiesForKeys: nil)!
            .compactMap { $0 as? URL }.filter { $0.pathExtension == "json" }
        XCTAssertEqual(files.count, 20)
        for f in files {
            let r = try read(file: f)
            XCTAssertEqual(r.rejected, [], f.path)
        }
    }
}
