import Foundation
import InboxModel

/// Where one action bound for the platform is in the outbox.
public enum DeliveryState: Equatable, Sendable {
    /// In the undo window, until `releaseAt`.
    case pending
    case ready, sending, sent, retrying, failed, cancelled
    /// A state this console does not know (a newer server's): shown as it is named.
    case other(String)

    public init(_ raw: String) {
        switch raw {
        case "pending": self = .pending
        case "ready": self = .ready
        case "sending": self = .sending
        case "sent": self = .sent
        case "retrying": self = .retrying
        case "failed": self = .failed
        case "cancelled": self = .cancelled
        default: self = .other(raw)
        }
    }
}

/// One outbox entry of a message (a reply, hide, unhide or delete) as the detail shows it.
/// Every string comes from the inbox, so from the platforms: untrusted until drawn.
public struct DeliveryStatus: Equatable, Sendable {
    public var outboxID: Int64
    /// reply | hide | unhide | delete
    public var action: String
    public var visibility: Visibility
    public var moderator: String
    public var state: DeliveryState
    public var releaseAt: Date
    public var nextAttemptAt: Date?
    public var sentAt: Date?
    public var lastError: String?
    public var errorCode: String?

    public init(outboxID: Int64, action: String, visibility: Visibility = .public, moderator: String, state: DeliveryState,
                releaseAt: Date, nextAttemptAt: Date? = nil, sentAt: Date? = nil, lastError: String? = nil, errorCode: String? = nil) {
        self.outboxID = outboxID; self.action = action; self.visibility = visibility; self.moderator = moderator
        self.state = state; self.releaseAt = releaseAt; self.nextAttemptAt = nextAttemptAt; self.sentAt = sentAt
        self.lastError = lastError; self.errorCode = errorCode
    }

    /// What a lead can send again or cancel from the console.
    public var needsLead: Bool { state == .failed || state == .retrying }
}

/// Why nothing done to a message can reach its platform now, said before anyone replies.
public enum ConnectionProblem: Equatable, Sendable {
    /// The server delivers through some accounts, none of them this message's page.
    case noAccount
    /// The platform refused the connection's credentials; a person must reconnect it.
    case paused(reason: String)
}
