import Foundation
import InboxModel

/// Meta webhook payloads: Page feed changes, mentions and ratings, Messenger and Instagram
/// messaging events, Instagram comments and live comments.
enum MetaWebhook {
    static func matches(_ o: JSONObject) -> Bool {
        guard let object = o.dict["object"] as? String else { return false }
        return ["page", "instagram", "user"].contains(object) && o.has("entry")
    }

    static func messages(from o: JSONObject, emit: (Result<IncomingMessage, FieldError>) -> Void, skip: (String) -> Void, raw: String, source: String) throws {
        let object = (try o.string("object")) ?? "page"
        for entry in try o.objects("entry") {
            let entryTime = try entry.date("time")
            for change in try entry.objects("changes") {
                do {
                    if let m = try feedChange(change, object: object, entryTime: entryTime, raw: raw, source: source) {
                        emit(.success(m))
                    } else {
                        skip("\(change.path): \((change.dict["field"] as? String) ?? "change") event carries no message")
                    }
                } catch let e as FieldError { emit(.failure(e)) }
            }
            for event in try entry.objects("messaging") + entry.objects("standby") {
                do {
                    if let m = try messaging(event, object: object, raw: raw, source: source) {
                        emit(.success(m))
                    } else {
                        skip("\(event.path): messaging event without a message (read, delivery, echo or reaction)")
                    }
                } catch let e as FieldError { emit(.failure(e)) }
            }
        }
    }

    static func event(for verb: String?) -> PlatformEvent? {
        switch verb?.lowercased() {
        case nil, "add", "create", "created": return .created
        case "edited", "edit", "update": return .edited
        case "remove", "delete", "deleted": return .removed
        case "hide": return .hidden
        default: return nil
        }
    }

    private static func feedChange(_ change: JSONObject, object: String, entryTime: Date?, raw: String, source: String) throws -> IncomingMessage? {
        let field = try change.string("field") ?? ""
        guard let value = try change.object("value") else {
            throw FieldError(location: change.at("value"), reason: "change has no 'value' object")
        }
        let from = try value.object("from")
        let authorID = try from?.id("id") ?? value.id("sender_id")
        let authorName = try from?.string("name") ?? value.string("sender_name")
        let handle = try from?.string("username") ?? authorName
        let created = try value.date("created_time") ?? entryTime ?? Date()

        switch field {
        case "feed", "mention":
            let item = try value.string("item") ?? "comment"
            let verb = try value.string("verb")
            guard ["comment", "post", "status", "photo", "video", "share"].contains(item) else { return nil }
            guard let ev = event(for: verb) else { return nil } // e.g. "unhide", "block"
            let commentID = try value.id("comment_id")
            let postID = try value.id("post_id")
            guard let id = commentID ?? postID else {
                throw FieldError(location: value.at("comment_id"), reason: "feed change has neither 'comment_id' nor 'post_id'")
            }
            let parent = try value.id("parent_id")
            var kind: MessageKind = commentID != nil ? .comment : .post
            if field == "mention" { kind = .mention }
            else if kind == .comment, let parent, let postID, parent != postID { kind = .reply }
            return IncomingMessage(
                platform: object == "instagram" ? .instagram : .facebook, kind: kind, externalID: id,
                postID: postID, parentID: commentID != nil ? (parent ?? postID) : nil,
                authorID: authorID, authorHandle: handle, authorName: authorName,
                text: try value.string("message") ?? "", receivedAt: created, event: ev,
                rawPayload: raw, sourceFile: source
            )
        case "ratings":
            guard let ev = event(for: try value.string("verb")) else { return nil }
            guard let id = try value.id("open_graph_story_id") ?? value.id("review_id") ?? value.id("comment_id") else {
                throw FieldError(location: value.at("open_graph_story_id"), reason: "rating has no 'open_graph_story_id'")
            }
            var rating = try value.int("rating")
            if let r = rating, !(1...5).contains(r) { rating = nil }
            if rating == nil, let rec = try value.string("recommendation_type") {
                rating = rec.uppercased() == "POSITIVE" ? 5 : rec.uppercased() == "NEGATIVE" ? 1 : nil
            }
            return IncomingMessage(
                platform: .facebook, kind: .review, externalID: id,
                authorID: try value.id("reviewer_id"), authorHandle: try value.string("reviewer_name"),
                authorName: try value.string("reviewer_name"), text: try value.string("review_text") ?? "",
                rating: rating, receivedAt: created, event: ev, rawPayload: raw, sourceFile: source
            )
        case "comments", "live_comments":
            guard let id = try value.id("id") else {
                throw FieldError(location: value.at("id"), reason: "Instagram comment has no 'id'")
            }
            let mediaID = try value.object("media")?.id("id")
            let parent = try value.id("parent_id")
            return IncomingMessage(
                platform: .instagram, kind: parent == nil ? .comment : .reply, externalID: id,
                postID: mediaID, parentID: parent ?? mediaID,
                authorID: try from?.id("id"), authorHandle: try from?.string("username"),
                authorName: try from?.string("username"), text: try value.string("text") ?? "",
                receivedAt: try value.date("timestamp") ?? entryTime ?? Date(), rawPayload: raw, sourceFile: source
            )
        default:
            return nil
        }
    }

    private static func messaging(_ event: JSONObject, object: String, raw: String, source: String) throws -> IncomingMessage? {
        let platform: Platform = object == "instagram" ? .instagram : .messenger
        let sender = try event.object("sender")?.id("id")
        let recipient = try event.object("recipient")?.id("id")
        let time = try event.date("timestamp") ?? Date()
        if let edit = try event.object("message_edit") {
            guard let mid = try edit.id("mid") else { throw FieldError(location: edit.at("mid"), reason: "message edit has no 'mid'") }
            return IncomingMessage(
                platform: platform, kind: .dm, externalID: mid, postID: threadID(sender, recipient),
                authorID: sender, authorHandle: sender, text: try edit.string("text") ?? "",
                receivedAt: time, visibility: .private, event: .edited, rawPayload: raw, sourceFile: source
            )
        }
        guard let message = try event.object("message") else { return nil }
        if try message.bool("is_echo") == true { return nil } // our own outgoing message
        guard let mid = try message.id("mid") else { throw FieldError(location: message.at("mid"), reason: "message has no 'mid'") }
        let deleted = try message.bool("is_deleted") == true
        var text = try message.string("text") ?? ""
        if text.isEmpty, !deleted, let attachments = try message.array("attachments"), !attachments.isEmpty {
            let types = attachments.compactMap { ($0 as? [String: Any])?["type"] as? String }
            text = "[attachment: \(types.isEmpty ? "file" : types.joined(separator: ", "))]"
        }
        let replyTo = try message.object("reply_to")?.id("mid")
        return IncomingMessage(
            platform: platform, kind: .dm, externalID: mid, postID: threadID(sender, recipient),
            parentID: replyTo, authorID: sender, authorHandle: sender, text: text,
            receivedAt: time, visibility: .private, event: deleted ? .removed : .created,
            rawPayload: raw, sourceFile: source
        )
    }

    /// A conversation is identified by its two participants.
    private static func threadID(_ a: String?, _ b: String?) -> String? {
        guard let a, let b else { return a ?? b }
        return "\(a):\(b)"
    }
}
