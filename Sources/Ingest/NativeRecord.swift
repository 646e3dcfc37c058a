import Foundation
import InboxModel

/// Rounds' own record format, shared by JSON Lines and CSV.
///
/// Fields: `platform`, `kind`, `id`, `author`, `author_name`, `text`, `created_at`,
/// `visibility`, `post_id`, `parent_id`, `rating`, `language`.
enum NativeRecord {
    static let fields = ["platform", "kind", "id", "author", "author_name", "text", "created_at",
                         "visibility", "post_id", "parent_id", "rating", "language"]

    /// A native record from its fields, already read as text (CSV) or typed (JSON).
    struct Fields {
        var platform: String?
        var kind: String?
        var id: String?
        var author: String?
        var authorName: String?
        var text: String?
        var createdAt: Date?
        var visibility: String?
        var postID: String?
        var parentID: String?
        var rating: Int?
        var language: String?
    }

    static func fields(from o: JSONObject) throws -> Fields {
        Fields(
            platform: try o.string("platform"), kind: try o.string("kind"), id: try o.id("id"),
            author: try o.id("author"), authorName: try o.string("author_name"), text: try o.string("text"),
            createdAt: try o.date("created_at"), visibility: try o.string("visibility"),
            postID: try o.id("post_id"), parentID: try o.id("parent_id"), rating: try o.int("rating"),
            language: try o.string("language")
        )
    }

    static func fields(fromCSV row: [String: String]) throws -> Fields {
        func v(_ k: String) -> String? {
            guard let s = row[k]?.trimmingCharacters(in: .whitespaces), !s.isEmpty else { return nil }
            return s
        }
        var created: Date?
        if let c = v("created_at") {
            switch TimeParser.read(c) {
            case .success(let d): created = d
            case .failure(let why):
                throw FieldError(location: "created_at", reason: "invalid date in 'created_at': \"\(c.prefix(40))\": \(why)")
            }
        }
        var rating: Int?
        if let r = v("rating") {
            guard let i = Int(r) else { throw FieldError(location: "rating", reason: "'rating' should be a whole number 1-5, found \"\(r.prefix(20))\"") }
            rating = i
        }
        return Fields(platform: v("platform"), kind: v("kind"), id: v("id"), author: v("author"),
                      authorName: v("author_name"), text: row["text"], createdAt: created,
                      visibility: v("visibility"), postID: v("post_id"), parentID: v("parent_id"),
                      rating: rating, language: v("language"))
    }

    static func message(from f: Fields, raw: String, source: String, now: Date) throws -> IncomingMessage {
        guard let p = f.platform else { throw FieldError(location: "platform", reason: "missing 'platform' (one of \(Platform.allCases.map(\.rawValue).joined(separator: ", ")))") }
        guard let platform = Platform(rawValue: p.lowercased()) else {
            throw FieldError(location: "platform", reason: "unknown platform \"\(p.prefix(30))\" (expected one of \(Platform.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        let kind: MessageKind
        if let k = f.kind {
            guard let parsed = MessageKind(rawValue: k.lowercased()) else {
                throw FieldError(location: "kind", reason: "unknown kind \"\(k.prefix(30))\" (expected one of \(MessageKind.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            kind = parsed
        } else {
            switch platform {
            case .messenger: kind = .dm
            case .gbp: kind = .review
            default: throw FieldError(location: "kind", reason: "missing 'kind' (one of \(MessageKind.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
        }
        guard let id = f.id, !id.isEmpty else { throw FieldError(location: "id", reason: "missing 'id' (the platform's id of the message)") }
        guard let text = f.text else { throw FieldError(location: "text", reason: "missing 'text'") }
        var visibility: Visibility?
        if let v = f.visibility {
            guard let parsed = Visibility(rawValue: v.lowercased()) else {
                throw FieldError(location: "visibility", reason: "unknown visibility \"\(v.prefix(20))\" (expected public or private)")
            }
            visibility = parsed
        }
        if let r = f.rating, !(1...5).contains(r) {
            throw FieldError(location: "rating", reason: "'rating' must be 1 to 5, found \(r)")
        }
        return IncomingMessage(
            platform: platform, kind: kind, externalID: id, postID: f.postID, parentID: f.parentID,
            authorID: f.author, authorHandle: f.author, authorName: f.authorName, text: text,
            language: f.language?.lowercased(), rating: f.rating, receivedAt: f.createdAt ?? now,
            visibility: visibility, rawPayload: raw, sourceFile: source
        )
    }
}
