import Foundation

/// The social platform a message came from.
public enum Platform: String, Codable, CaseIterable, Sendable {
    case facebook, messenger, instagram, x, gbp

    /// Human label for lists and reports.
    public var label: String {
        switch self {
        case .facebook: "Facebook"
        case .messenger: "Messenger"
        case .instagram: "Instagram"
        case .x: "X"
        case .gbp: "Google"
        }
    }

    /// Longest reply the platform accepts, in characters (X counts URLs as 23).
    public var replyLimit: Int? {
        switch self {
        case .x: 280
        case .facebook, .instagram: 8000
        case .messenger: 2000
        case .gbp: 4096
        }
    }
}

/// What kind of item a message is on its platform.
public enum MessageKind: String, Codable, CaseIterable, Sendable {
    case comment, reply, post, mention, dm, review

    /// Direct messages are private; everything else is posted where others can see it.
    public var defaultVisibility: Visibility { self == .dm ? .private : .public }
}

public enum Visibility: String, Codable, CaseIterable, Sendable {
    case `public`, `private`
}

/// Where a message is in the moderators' workflow.
public enum MessageState: String, Codable, CaseIterable, Sendable {
    case open, snoozed, done, hidden, deleted
}

/// One item of the inbox as ingest produces it, before it has a row id.
public struct IncomingMessage: Equatable, Sendable {
    public var platform: Platform
    public var kind: MessageKind
    public var externalID: String
    public var postID: String?
    public var parentID: String?
    public var authorID: String?
    public var authorHandle: String?
    public var authorName: String?
    public var text: String
    public var language: String?
    public var rating: Int?
    public var receivedAt: Date
    public var visibility: Visibility
    /// What the platform says happened: a new item, an edit, a removal or a hide.
    public var event: PlatformEvent
    /// The original bytes of the record (one payload, line or CSV row) as text.
    public var rawPayload: String
    public var sourceFile: String
    /// Set when the input held bytes that were not valid UTF-8 and were replaced by U+FFFD.
    public var hadInvalidUTF8: Bool

    public init(
        platform: Platform, kind: MessageKind, externalID: String,
        postID: String? = nil, parentID: String? = nil,
        authorID: String? = nil, authorHandle: String? = nil, authorName: String? = nil,
        text: String, language: String? = nil, rating: Int? = nil,
        receivedAt: Date, visibility: Visibility? = nil, event: PlatformEvent = .created,
        rawPayload: String = "", sourceFile: String = "", hadInvalidUTF8: Bool = false
    ) {
        self.platform = platform
        self.kind = kind
        self.externalID = externalID
        self.postID = postID
        self.parentID = parentID
        self.authorID = authorID
        self.authorHandle = authorHandle
        self.authorName = authorName
        self.text = text
        self.language = language
        self.rating = rating
        self.receivedAt = receivedAt
        self.visibility = visibility ?? kind.defaultVisibility
        self.event = event
        self.rawPayload = rawPayload
        self.sourceFile = sourceFile
        self.hadInvalidUTF8 = hadInvalidUTF8
    }
}

/// What a platform event does to a message.
public enum PlatformEvent: String, Codable, Sendable {
    /// A new item (or a repeat delivery of one already stored).
    case created
    /// The author changed the text; the earlier version is kept.
    case edited
    /// The item was removed on the platform; Rounds keeps it, marked.
    case removed
    /// The item was hidden on the platform; Rounds keeps it, marked.
    case hidden
}
