import Foundation
import InboxModel

/// The queues of the queue bar, in display order.
public enum QueueID: String, CaseIterable, Sendable, Hashable {
    case urgent, phi, symptoms, offensive, reviews, new, mine, snoozed, done, all

    public var title: String {
        switch self {
        case .urgent: "Urgent"
        case .phi: "PHI"
        case .symptoms: "Symptoms"
        case .offensive: "Offensive"
        case .reviews: "Reviews"
        case .new: "New"
        case .mine: "Mine"
        case .snoozed: "Snoozed"
        case .done: "Done"
        case .all: "All"
        }
    }

    public var shortTitle: String {
        switch self {
        case .urgent: "Urg"
        case .phi: "PHI"
        case .symptoms: "Sym"
        case .offensive: "Off"
        case .reviews: "Rev"
        case .new: "New"
        case .mine: "Mine"
        case .snoozed: "Snz"
        case .done: "Done"
        case .all: "All"
        }
    }

    /// The lane this queue shows, for the six lane queues.
    public var lane: Lane? {
        switch self {
        case .urgent: .urgent
        case .phi: .phi
        case .symptoms: .symptoms
        case .offensive: .offensive
        case .reviews: .reviews
        case .new: .new
        default: nil
        }
    }
}

/// Position of a row in the store's list order, handed back to page further. The store
/// orders a queue by `priority` (0 = imminent emergency first), then its own time order, then
/// `id`; the console never compares cursors, it only passes them back.
public struct ListCursor: Hashable, Sendable {
    public var priority: Int
    public var receivedAt: Date
    public var id: Int64
    public init(priority: Int, receivedAt: Date, id: Int64) { self.priority = priority; self.receivedAt = receivedAt; self.id = id }
}

/// One line of the message list: only what the list shows.
public struct MessageRow: Equatable, Sendable {
    public var id: Int64
    public var cursor: ListCursor
    public var platform: Platform
    public var kind: MessageKind
    public var visibility: Visibility
    public var state: MessageState
    public var lane: Lane
    public var authorHandle: String
    /// The flags raised on the message, most urgent first, with their decisions.
    public var flags: [FlagName: Decision]
    /// Emergency severity (`imminent` / `urgent`) when there is one.
    public var emergencySeverity: String?
    /// The start of the text (the store may cut it; 200 scalars is plenty).
    public var snippet: String
    public var receivedAt: Date
    /// Moderator who claimed it, if any.
    public var claimedBy: String?

    public init(id: Int64, cursor: ListCursor? = nil, platform: Platform, kind: MessageKind, visibility: Visibility? = nil,
                state: MessageState = .open, lane: Lane, authorHandle: String, flags: [FlagName: Decision] = [:],
                emergencySeverity: String? = nil, snippet: String, receivedAt: Date, claimedBy: String? = nil) {
        self.id = id
        self.cursor = cursor ?? ListCursor(priority: 3, receivedAt: receivedAt, id: id)
        self.platform = platform
        self.kind = kind
        self.visibility = visibility ?? kind.defaultVisibility
        self.state = state
        self.lane = lane
        self.authorHandle = authorHandle
        self.flags = flags
        self.emergencySeverity = emergencySeverity
        self.snippet = snippet
        self.receivedAt = receivedAt
        self.claimedBy = claimedBy
    }
}

/// Everything the detail pane shows about one message.
public struct MessageDetail: Equatable, Sendable {
    public var row: MessageRow
    public var text: String
    public var authorName: String?
    public var language: String
    public var classification: Classification
    /// The post or comment this one answers, if known.
    public var parentText: String?
    /// How many earlier messages the same author sent (same platform).
    public var authorEarlierCount: Int
    /// When the author last wrote in this conversation (start of a platform reply window).
    public var lastAuthorMessageAt: Date?
    public var notes: [String]
    /// Each action of the message bound for the platform, oldest first.
    public var deliveries: [DeliveryStatus]
    /// Set when an action on this message could not reach its platform now.
    public var connectionProblem: ConnectionProblem?

    public init(row: MessageRow, text: String, authorName: String? = nil, language: String = "en",
                classification: Classification = .unclassified, parentText: String? = nil,
                authorEarlierCount: Int = 0, lastAuthorMessageAt: Date? = nil, notes: [String] = [],
                deliveries: [DeliveryStatus] = [], connectionProblem: ConnectionProblem? = nil) {
        self.row = row
        self.text = text
        self.authorName = authorName
        self.language = language
        self.classification = classification
        self.parentText = parentText
        self.authorEarlierCount = authorEarlierCount
        self.lastAuthorMessageAt = lastAuthorMessageAt
        self.notes = notes
        self.deliveries = deliveries
        self.connectionProblem = connectionProblem
    }
}

/// Where to start a page of the list.
public enum PageAnchor: Equatable, Sendable {
    /// The first rows of the queue.
    case start
    /// The last rows of the queue (returned in list order, last row last).
    case end
    /// Rows strictly after this cursor, in list order.
    case after(ListCursor)
    /// Rows strictly before this cursor, returned in list order (nearest row last).
    case before(ListCursor)
    /// This row (if it still belongs to the queue) and the rows after it.
    case from(ListCursor)
}

/// Something a moderator does to the inbox. Each is audited by the store under the moderator.
public enum ModeratorCommand: Equatable, Sendable {
    /// Put a reply in the outbox as `pending` (the undo window); `override` is a lead's reason
    /// for sending a reply the guard blocked.
    case queueReply(message: Int64, text: String, templateID: String?, visibility: Visibility, override: String?)
    /// Undo a pending reply before it leaves (outbox state `cancelled`).
    case cancelReply(outbox: Int64)
    /// The undo window is over: the reply becomes `ready` for delivery.
    case releaseReply(outbox: Int64)
    case hide(message: Int64, reasonCode: String)
    case delete(message: Int64, reasonCode: String)
    case escalate(message: Int64, contact: String, note: String?)
    case markDone(message: Int64)
    case claim(message: Int64)
    case unclaim(message: Int64)
    case snooze(message: Int64, until: Date)
    case note(message: Int64, text: String)
    /// Reverse an earlier action, by the id its receipt gave.
    case undo(action: Int64)
    /// A lead sends a failed (or retrying) delivery again now (leads only).
    case retryDelivery(outbox: Int64)
    /// A lead gives up on a delivery that has not left (leads only).
    case cancelDelivery(outbox: Int64)
}

/// What the store reports after a command went through.
public struct CommandReceipt: Equatable, Sendable {
    /// A short past-tense sentence for the status line ("Hidden (spam)").
    public var summary: String
    /// Id to pass to `ModeratorCommand.undo`, when the action can be undone.
    public var undoableAction: Int64?
    /// The outbox row a queued reply went to.
    public var outboxID: Int64?
    public init(summary: String, undoableAction: Int64? = nil, outboxID: Int64? = nil) {
        self.summary = summary; self.undoableAction = undoableAction; self.outboxID = outboxID
    }
}

/// A command the store would not carry out, worded for the moderator ("Already claimed by sam").
public struct Refusal: Error, Equatable, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
}

/// Live message counts per queue.
public typealias QueueCounts = [QueueID: Int]

/// The inbox as the console sees it. Small, synchronous, and never returns a whole queue:
/// every list read is a keyset page of at most `limit` rows. Implemented over SQLite by the
/// store; an in-memory double lives in the tests.
public protocol ConsoleStore: AnyObject {
    /// How many messages each queue holds right now (`mine` = open and claimed by `moderator`).
    func queueCounts(moderator: String) throws -> QueueCounts

    /// One page of `queue` filtered by `query`, in list order, starting at `anchor`. A store
    /// may stop looking for matches after a time limit and return those found so far: see
    /// `lastPageCutOff`.
    func page(queue: QueueID, query: InboxQuery, moderator: String, anchor: PageAnchor, limit: Int) throws -> [MessageRow]

    /// Whether the last `page` stopped at its time limit, before it had looked at every message.
    var lastPageCutOff: Bool { get }

    /// Which of `ids` are in `queue` and match `query` now (for acting on tagged messages
    /// without touching the ones the filter hides).
    func filter(ids: [Int64], queue: QueueID, query: InboxQuery, moderator: String) throws -> [Int64]

    /// Ids of up to `limit` messages of `queue` matching `query` (for "tag all that match").
    func ids(queue: QueueID, query: InboxQuery, moderator: String, limit: Int) throws -> [Int64]

    /// The full message, its classification with evidence, parent and author history.
    func detail(id: Int64) throws -> MessageDetail?

    /// Carries out one command as `moderator`; a refusal is returned, not thrown.
    func perform(_ command: ModeratorCommand, moderator: String) -> Result<CommandReceipt, Refusal>

    /// Records that the console locked or unlocked (the audit log); never fails the console.
    func recordSession(_ event: SessionEvent, moderator: String)

    /// A cheap token that changes whenever any process wrote to the inbox
    /// (`PRAGMA data_version` + own writes). Polled about once a second.
    func dataVersion() throws -> Int64

    /// How each platform connection of `rounds serve` is doing, as the server recorded it.
    func connectionStatuses() throws -> [ConnectionStatus]

    /// How many deliveries failed for good and wait for a lead; read with the queue counts.
    func failedDeliveryCount() throws -> Int
}

extension ConsoleStore {
    public var lastPageCutOff: Bool { false }
    public func connectionStatuses() throws -> [ConnectionStatus] { [] }
    public func failedDeliveryCount() throws -> Int { 0 }
    public func recordSession(_ event: SessionEvent, moderator: String) {}
}

/// The organisation's policy as the console needs it. Synchronous and side-effect free.
public protocol ConsolePolicy: AnyObject {
    /// Organisation name for the title and the status line.
    var organisationName: String { get }
    /// Seconds a queued reply waits as `pending` before it is released (default 10).
    var undoWindowSeconds: Int { get }
    /// Reply templates that fit the message, recommended first (shown as 1, 2, ...).
    func templates(for message: MessageDetail) -> [RenderedReply]
    /// All removal reasons, and the index of the one pre-selected for this message's flags.
    func removalReasons(for message: MessageDetail) -> (reasons: [RemovalReason], preselected: Int)
    /// Who an escalation of this message goes to (by its most urgent flag), e.g. "Patient relations".
    func escalationContact(for message: MessageDetail) -> String
    /// Checks a reply before it is queued; empty means it may go.
    func checkReply(_ text: String, to message: MessageDetail, visibility: Visibility) -> [GuardViolation]
    /// False while the templates, reasons and reply guard are still loading (the first screen
    /// is drawn without them); every method above waits for them.
    var isLoaded: Bool { get }
}

extension ConsolePolicy {
    public var isLoaded: Bool { true }
}
