import Foundation
import InboxModel

/// A reply about to be checked by the guard and queued.
public struct ReplyDraft: Equatable, Sendable {
    public var messageID: Int64
    public var text: String
    public var templateID: String?
    public var visibility: Visibility
    public var override: String?
}

/// One thing `u` can take back.
public enum UndoEntry: Equatable, Sendable {
    /// A queued reply: cancelled if still in its undo window, skipped once released.
    case reply(outbox: Int64)
    /// A store action, by the id its receipt gave.
    case action(Int64)
}

/// A reply in its undo window.
public struct PendingReply: Equatable, Sendable {
    public var outboxID: Int64
    public var messageID: Int64
    public var deadline: Date
}

/// What the policy says about the selected message, loaded with its detail.
public struct DetailContext: Equatable, Sendable {
    public var detail: MessageDetail
    public var templates: [RenderedReply]
    public var reasons: [RemovalReason]
    public var preselectedReason: Int
    public var escalationContact: String
    public init(detail: MessageDetail, templates: [RenderedReply] = [], reasons: [RemovalReason] = [],
                preselectedReason: Int = 0, escalationContact: String = "") {
        self.detail = detail; self.templates = templates; self.reasons = reasons
        self.preselectedReason = preselectedReason; self.escalationContact = escalationContact
    }
}

public enum PromptKind: Equatable, Sendable {
    case search, command, freeReply, note, escalateNote(contact: String), overrideReason, tagPattern

    var label: String {
        switch self {
        case .search: "/"
        case .command: ":"
        case .freeReply: "Reply: "
        case .note: "Note: "
        case .escalateNote(let c): "Escalate to \(c), note (optional): "
        case .overrideReason: "Override reason: "
        case .tagPattern: "Tag matching: "
        }
    }
}

/// An action that `;` applies to every tagged message in the view.
public enum BulkAction: Equatable, Sendable {
    case done, claim, hide(reasonCode: String), snooze(until: Date, label: String)
}

public enum MenuKind: Equatable, Sendable {
    case hideReason, deleteReason, snooze, quitPending, bulkHideReason
}

public struct Menu: Equatable, Sendable {
    public var kind: MenuKind
    public var title: String
    public var options: [String]
    public var selected: Int
}

public enum ConfirmKind: Equatable, Sendable {
    case delete(messageID: Int64, reasonCode: String)
    case bulk(BulkAction, ids: [Int64])
}

public enum Overlay: Equatable, Sendable {
    case help(scroll: Int)
    case prompt(PromptKind, text: String)
    case menu(Menu)
    case confirm(ConfirmKind, question: String)
    case guardBlocked(ReplyDraft, violations: [GuardViolation])
}

/// A transient status-line message.
public struct Flash: Equatable, Sendable {
    public var text: String
    public var isError: Bool
    public var until: Date
}

/// The loaded part of the current list: a window of rows around the selection, never the
/// whole queue.
public struct ListWindow: Equatable, Sendable {
    public var rows: [MessageRow] = []
    /// No rows before `rows.first` in the queue.
    public var atStart = true
    /// No rows after `rows.last` in the queue.
    public var atEnd = true
    public var selected = 0
    /// Index in `rows` of the first row on screen.
    public var scrollTop = 0
    public var selectedRow: MessageRow? { rows.indices.contains(selected) ? rows[selected] : nil }
}

/// The whole console, as a value.
public struct ConsoleState: Equatable, Sendable {
    public var moderator: String
    public var role: Role
    public var organisation: String
    public var undoWindowSeconds: Int
    public var keyMap: KeyMap
    public var timeZone: TimeZone
    public var width: Int
    public var height: Int
    public var now: Date

    public var queue: QueueID = .urgent
    public var query = InboxQuery()
    public var counts: QueueCounts = [:]
    /// Deliveries that failed for good, shown in the queue bar until a lead retries or cancels them.
    public var failedDeliveries = 0
    public var list = ListWindow()
    /// True once the first page of the current queue has arrived.
    public var listLoaded = false
    public var context: DetailContext?
    public var fullDetail = false
    public var detailScroll = 0
    public var overlay: Overlay?
    public var pendingReplies: [PendingReply] = []
    /// What `u` can take back, most recent last.
    public var undoStack: [UndoEntry] = []
    public var tagged: Set<Int64> = []
    /// Tagged messages of the current view that the next action applies to (after `;`).
    public var bulkTargets: [Int64]?
    public var flash: Flash?
    public var dataVersion: Int64?
    /// The live connections' states (`rounds serve`), for the status line; empty without a server.
    public var connections: [ConnectionStatus] = []
    public var lastPoll: Date?
    public var quitRequested = false
    /// A blocked reply waiting for a lead's override reason.
    public var pendingOverride: ReplyDraft?
    /// Seconds without a key after which every message text and author is hidden until the
    /// next key (HIPAA automatic logoff); 0 never locks.
    public var idleLockSeconds: TimeInterval = 0
    public var lastKeyAt: Date?
    public var locked = false

    public init(moderator: String, role: Role, organisation: String = "", undoWindowSeconds: Int = 10,
                keyMap: KeyMap = .defaults, timeZone: TimeZone = TimeZone(identifier: "UTC")!,
                width: Int = 80, height: Int = 24, now: Date = Date(timeIntervalSince1970: 0)) {
        self.moderator = moderator
        self.role = role
        self.organisation = organisation
        self.undoWindowSeconds = undoWindowSeconds
        self.keyMap = keyMap
        self.timeZone = timeZone
        self.width = width
        self.height = height
        self.now = now
    }

    public var selectedRow: MessageRow? { list.selectedRow }
    public var selectedID: Int64? { list.selectedRow?.id }
    /// The detail context, if it belongs to the selected row.
    public var selectedContext: DetailContext? {
        guard let c = context, c.detail.row.id == selectedID else { return nil }
        return c
    }
    public var isTooSmall: Bool { width < 60 || height < 15 }
}
