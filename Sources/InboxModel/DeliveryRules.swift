import Foundation

/// A page or account that `rounds serve` delivers through (ids only, never a token), as the
/// server publishes them into the inbox.
public struct DeliveryAccount: Sendable, Equatable {
    /// `facebook` (a Page: comments, Messenger), `instagram`, `x` or `gbp`.
    public var platform: String
    /// Page id, Instagram account id, X user id, or GBP location (`accounts/1/locations/2`).
    public var account: String
    /// The connection may use `MESSAGE_TAG` + `HUMAN_AGENT` (Meta's 7-day window).
    public var humanAgent: Bool
    /// Set when the platform refused the credentials (Meta 190): nothing leaves until a person
    /// reconnects it.
    public var pausedReason: String?

    public init(platform: String, account: String, humanAgent: Bool = false, pausedReason: String? = nil) {
        self.platform = platform
        self.account = account
        self.humanAgent = humanAgent
        self.pausedReason = pausedReason
    }
}

/// What a moderator may queue for a platform, checked when it is queued rather than when it
/// fails: text length, messaging windows, one private reply per comment, and which connection
/// the action leaves through. Pure: the console and the delivery worker share it.
public enum DeliveryRules {
    /// The fields of a message that decide where and whether an action can go.
    public struct Target: Sendable {
        public var platform: Platform
        public var kind: MessageKind
        public var postID: String?
        public var receivedAt: Date
        /// The newest message of the same person in the same conversation (DM windows).
        public var lastFromPerson: Date?
        public var rawPayload: String?
        public var externalID: String

        public init(platform: Platform, kind: MessageKind, externalID: String, postID: String?, receivedAt: Date,
                    lastFromPerson: Date? = nil, rawPayload: String? = nil) {
            self.platform = platform
            self.kind = kind
            self.externalID = externalID
            self.postID = postID
            self.receivedAt = receivedAt
            self.lastFromPerson = lastFromPerson
            self.rawPayload = rawPayload
        }
    }

    public static let standardWindow: TimeInterval = 24 * 3600
    public static let humanAgentWindow: TimeInterval = 7 * 24 * 3600
    public static let privateReplyWindow: TimeInterval = 7 * 24 * 3600

    /// The connection a message's actions leave through: the page or account it arrived on
    /// (a Page post id starts with the Page id; a DM's conversation names the page; a review
    /// names its location), else the only configured account of that platform. Nil when no
    /// account can be named.
    public static func account(for t: Target, among accounts: [DeliveryAccount]) -> DeliveryAccount? {
        let family = accountPlatform(t.platform)
        let candidates = accounts.filter { $0.platform == family }
        var arrivedOn: String?
        switch t.platform {
        case .facebook:
            arrivedOn = t.postID?.split(separator: "_").first.map(String.init)
        case .messenger, .instagram:
            if t.kind == .dm {
                // `sender:recipient`: the page is whichever side is a configured account.
                let sides = (t.postID ?? "").split(separator: ":").map(String.init)
                arrivedOn = sides.first { s in candidates.contains { $0.account == s } }
            } else {
                arrivedOn = entryID(containing: t.externalID, in: t.rawPayload)
            }
        case .gbp:
            arrivedOn = t.postID
        case .x:
            arrivedOn = nil
        }
        // A message known to have come through another page is not ours to answer.
        if let arrivedOn { return candidates.first { $0.account == arrivedOn } }
        return candidates.count == 1 ? candidates[0] : nil
    }

    /// Messenger leaves through the Facebook Page; every other platform through its own account.
    public static func accountPlatform(_ p: Platform) -> String {
        p == .messenger ? Platform.facebook.rawValue : p.rawValue
    }

    /// Why `text` cannot be delivered as a reply to `t` now, or nil when it can. `windows`:
    /// judge the messaging windows too (an inbox with no connection, a demo or a file-fed one,
    /// keeps replies in its outbox and only the length limits apply).
    public static func refusal(reply text: String, visibility: Visibility, to t: Target, account: DeliveryAccount?,
                               now: Date, windows: Bool = true) -> String? {
        let isDM = t.kind == .dm
        let privateReply = visibility == .private && !isDM
        switch (t.platform, isDM || privateReply) {
        case (.instagram, true):
            if text.utf8.count > 1000 { return "Instagram messages are at most 1,000 bytes; this one is \(text.utf8.count)." }
        case (.facebook, true), (.messenger, _):
            if text.count > 2000 { return "Messenger messages are at most 2,000 characters; this one is \(text.count)." }
        case (.x, false):
            let w = xWeightedLength(text)
            if w > 280 { return "X posts are at most 280 characters (weighted); this one is \(w)." }
        case (.x, true):
            if text.count > 10_000 { return "X direct messages are at most 10,000 characters; this one is \(text.count)." }
        case (.gbp, _):
            if visibility == .private { return "Google reviews can only be answered in public." }
            if text.utf8.count > 4096 { return "Google review replies are at most 4,096 bytes; this one is \(text.utf8.count)." }
        case (.facebook, false), (.instagram, false):
            if text.count > 8000 { return "Comments are at most 8,000 characters; this one is \(text.count)." }
        }
        guard windows else { return nil }
        if privateReply {
            guard [.facebook, .instagram].contains(t.platform) else { return nil }
            let age = now.timeIntervalSince(t.receivedAt)
            if age > privateReplyWindow { return "A private reply must be sent within 7 days of the comment; this one is \(days(age)) old." }
        } else if isDM, [.messenger, .instagram].contains(t.platform) {
            let age = now.timeIntervalSince(t.lastFromPerson ?? t.receivedAt)
            if age > standardWindow {
                if account?.humanAgent != true {
                    return "Outside Meta's 24-hour messaging window (last message \(days(age)) ago); this page has no human-agent permission."
                }
                if age > humanAgentWindow { return "Outside Meta's 7-day human-agent window (last message \(days(age)) ago)." }
            }
        }
        return nil
    }

    /// Whether the platform lets a page do `action` (hide, unhide, delete) to `t`. Direct
    /// messages and Google reviews cannot be hidden or deleted by the business; X lets an
    /// account hide replies in its conversations but delete only its own posts.
    public static func platformCan(_ action: String, _ t: Target) -> Bool {
        switch (t.platform, t.kind) {
        case (_, .dm), (.gbp, _), (.messenger, _): return false
        case (.x, _): return action != "delete"
        case (.facebook, _), (.instagram, _): return true
        }
    }

    /// Whether a DM reply to `t` needs the `HUMAN_AGENT` tag (past the standard window).
    public static func needsHumanAgentTag(_ t: Target, now: Date) -> Bool {
        now.timeIntervalSince(t.lastFromPerson ?? t.receivedAt) > standardWindow
    }

    /// X's weighted length (twitter-text v3): characters in the Latin, general punctuation and
    /// similar ranges weigh 1, everything else (CJK, emoji) 2, and every URL 23.
    public static func xWeightedLength(_ text: String) -> Int {
        var total = 0
        var rest = Substring(text)
        while !rest.isEmpty {
            if let url = rest.range(of: #"https?://[^\s]+"#, options: [.regularExpression, .anchored]) {
                total += 23
                rest = rest[url.upperBound...]
                continue
            }
            let c = rest.removeFirst()
            let v = c.unicodeScalars.first?.value ?? 0
            let light = v <= 4351 || (8192...8205).contains(v) || (8208...8223).contains(v) || (8242...8247).contains(v)
            total += light ? 1 : 2
        }
        return total
    }

    private static func days(_ t: TimeInterval) -> String {
        t >= 2 * 86400 ? "\(Int(t / 86400)) days" : "\(Int(t / 3600)) hours"
    }

    /// The id of the webhook entry (the Instagram account) whose changes carry `id`.
    private static func entryID(containing id: String, in raw: String?) -> String? {
        guard let raw, let data = raw.data(using: .utf8),
              let o = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let entries = o["entry"] as? [[String: Any]] else { return nil }
        for e in entries {
            let changes = (e["changes"] as? [[String: Any]]) ?? []
            if changes.contains(where: { (($0["value"] as? [String: Any])?["id"]).map { "\($0)" } == id }) {
                return e["id"].map { "\($0)" }
            }
        }
        return nil
    }
}
