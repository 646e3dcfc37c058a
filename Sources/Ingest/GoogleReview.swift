import Foundation
import InboxModel

/// Google Business Profile reviews: one review object, or `{"reviews": [...]}` as the
/// reviews.list endpoint returns them.
enum GoogleReview {
    static func matches(_ o: JSONObject) -> Bool {
        if o.has("platform") { return false }
        return o.has("reviewId") || o.has("starRating") || o.dict["reviews"] is [Any]
            || (o.dict["review"] is [String: Any])
    }

    static let stars = ["ONE": 1, "TWO": 2, "THREE": 3, "FOUR": 4, "FIVE": 5]

    static func messages(from o: JSONObject, emit: (Result<IncomingMessage, FieldError>) -> Void, skip: (String) -> Void, raw: String, source: String) throws {
        if o.has("reviews") {
            for r in try o.objects("reviews") {
                do { emit(.success(try review(r, raw: raw, source: source))) } catch let e as FieldError { emit(.failure(e)) }
            }
        } else if let r = try o.object("review") {
            do { emit(.success(try review(r, raw: raw, source: source))) } catch let e as FieldError { emit(.failure(e)) }
        } else {
            do { emit(.success(try review(o, raw: raw, source: source))) } catch let e as FieldError { emit(.failure(e)) }
        }
    }

    private static func review(_ r: JSONObject, raw: String, source: String) throws -> IncomingMessage {
        // `name` is accounts/{a}/locations/{l}/reviews/{id}; reviewId alone is also accepted.
        let name = try r.string("name")
        guard let id = try r.id("reviewId") ?? name.flatMap({ $0.split(separator: "/").last.map(String.init) }) else {
            throw FieldError(location: r.at("reviewId"), reason: "review has neither 'reviewId' nor 'name'")
        }
        let reviewer = try r.object("reviewer")
        let anonymous = try reviewer?.bool("isAnonymous") == true
        var rating: Int?
        if let s = try r.string("starRating") {
            guard let n = stars[s.uppercased()] else {
                if s.uppercased() == "STAR_RATING_UNSPECIFIED" { rating = nil } else {
                    throw FieldError(location: r.at("starRating"), reason: "'starRating' should be ONE to FIVE, found \"\(s.prefix(20))\"")
                }
                return try build()
            }
            rating = n
        }
        return try build()

        func build() throws -> IncomingMessage {
            let created = try r.date("createTime")
            let updated = try r.date("updateTime")
            let display = anonymous ? nil : try reviewer?.string("displayName")
            return IncomingMessage(
                platform: .gbp, kind: .review, externalID: id,
                postID: name.map { String($0.components(separatedBy: "/reviews/").first ?? $0) },
                authorID: display, authorHandle: display, authorName: display,
                text: try r.string("comment") ?? "", rating: rating,
                receivedAt: created ?? updated ?? Date(), visibility: .public,
                rawPayload: raw, sourceFile: source
            )
        }
    }
}
