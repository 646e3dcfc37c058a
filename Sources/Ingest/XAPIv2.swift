import Foundation
import InboxModel

/// X API v2 response bodies: a tweet, tweets, mentions or search results (`data` +
/// `includes.users`), and direct-message events.
enum XAPIv2 {
    static func matches(_ o: JSONObject) -> Bool {
        if o.has("platform") { return false }
        if o.has("data") { return o.dict["data"] is [Any] || o.dict["data"] is [String: Any] }
        if let meta = o.dict["meta"] as? [String: Any] { return meta["result_count"] != nil }
        return false
    }

    static func messages(from o: JSONObject, emit: (Result<IncomingMessage, FieldError>) -> Void, skip: (String) -> Void, raw: String, source: String) throws {
        var users: [String: (username: String?, name: String?)] = [:]
        if let includes = try o.object("includes") {
            for u in try includes.objects("users") {
                if let id = try u.id("id") { users[id] = (try u.string("username"), try u.string("name")) }
            }
        }
        let items: [JSONObject]
        if let single = o.dict["data"] as? [String: Any] {
            items = [JSONObject(single, path: "data")]
        } else {
            items = try o.objects("data")
        }
        for item in items {
            do {
                if let m = try message(item, users: users, raw: raw, source: source) { emit(.success(m)) }
                else { skip("\(item.path): \((item.dict["event_type"] as? String) ?? "event") is not a message") }
            } catch let e as FieldError { emit(.failure(e)) }
        }
    }

    private static func message(_ t: JSONObject, users: [String: (username: String?, name: String?)], raw: String, source: String) throws -> IncomingMessage? {
        guard let id = try t.id("id") else { throw FieldError(location: t.at("id"), reason: "item has no 'id'") }
        if let type = try t.string("event_type") {
            guard type == "MessageCreate" else { return nil } // ParticipantsJoin / ParticipantsLeave
            let sender = try t.id("sender_id")
            return IncomingMessage(
                platform: .x, kind: .dm, externalID: id, postID: try t.id("dm_conversation_id"),
                authorID: sender, authorHandle: sender.flatMap { users[$0]?.username } ?? sender,
                authorName: sender.flatMap { users[$0]?.name }, text: try t.string("text") ?? "",
                language: nil, receivedAt: try t.date("created_at") ?? Date(), visibility: .private,
                rawPayload: raw, sourceFile: source
            )
        }
        guard let text = try t.string("text") else { throw FieldError(location: t.at("text"), reason: "tweet has no 'text'") }
        let author = try t.id("author_id")
        var parent: String?
        for ref in try t.objects("referenced_tweets") where try ref.string("type") == "replied_to" {
            parent = try ref.id("id")
        }
        var language = try t.string("lang")
        if language == "und" || language == "zxx" { language = nil }
        return IncomingMessage(
            platform: .x, kind: parent != nil || t.has("in_reply_to_user_id") ? .reply : .mention,
            externalID: id, postID: try t.id("conversation_id"), parentID: parent,
            authorID: author, authorHandle: author.flatMap { users[$0]?.username } ?? author,
            authorName: author.flatMap { users[$0]?.name }, text: text, language: language,
            receivedAt: try t.date("created_at") ?? Date(), rawPayload: raw, sourceFile: source
        )
    }
}
