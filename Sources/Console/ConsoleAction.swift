import Foundation
import InboxModel

/// A request for one page of the list, and what to do with the rows.
public struct PageRequest: Equatable, Sendable {
    public enum Purpose: Equatable, Sendable {
        /// Replace the window; select the first row (or the last, for `G`).
        case replace(selectLast: Bool)
        case append
        case prepend
    }
    public var queue: QueueID
    public var query: InboxQuery
    public var anchor: PageAnchor
    public var limit: Int
    public var purpose: Purpose
}

/// Reload the window around a row, keeping the selection (by id) and its place on screen.
public struct WindowRequest: Equatable, Sendable {
    public var queue: QueueID
    public var query: InboxQuery
    /// The selected row's cursor; nil reloads from the start.
    public var around: ListCursor?
    public var keepID: Int64?
    public var limit: Int
}

/// Everything that happens to the console, named after the event.
public enum ConsoleAction: Equatable, Sendable {
    case started(now: Date)
    case keyPressed(KeyEvent)
    case terminalResized(width: Int, height: Int)
    case clockTicked(Date)
    case countsLoaded(QueueCounts)
    case connectionsLoaded([ConnectionStatus])
    case failedDeliveriesCounted(Int)
    case pageLoaded(PageRequest, [MessageRow])
    /// The store stopped looking at its time limit; `found` rows were shown.
    case pageCutOff(found: Int)
    case windowReloaded(WindowRequest, before: [MessageRow], from: [MessageRow])
    case detailLoaded(DetailContext?, forID: Int64)
    case replyChecked(ReplyDraft, violations: [GuardViolation])
    case commandFinished(ModeratorCommand, Result<CommandReceipt, Refusal>)
    case bulkFinished(succeeded: Int, refusals: [String], undoable: [Int64])
    case taggedInViewResolved([Int64])
    case matchingFound([Int64])
    case dataVersionPolled(Int64)
    case exportFinished(Result<String, Refusal>)
    case loadFailed(String)
}

/// Work the console wants done, as data; the driver carries it out against the store and policy.
/// What a console session records besides moderator actions.
public enum SessionEvent: String, Equatable, Sendable {
    case locked = "session_lock", unlocked = "session_unlock"
}

public enum Effect: Equatable, Sendable {
    case loadCounts
    case loadPage(PageRequest)
    case reloadWindow(WindowRequest)
    case loadDetail(id: Int64)
    case checkReply(ReplyDraft)
    case perform(ModeratorCommand)
    case performBulk([ModeratorCommand])
    case resolveTaggedInView(ids: [Int64], queue: QueueID, query: InboxQuery)
    case findMatching(queue: QueueID, query: InboxQuery, limit: Int)
    case pollDataVersion
    case export(queue: QueueID, query: InboxQuery, folder: String?)
    /// The console locked or unlocked itself: an audit event.
    case recordSession(SessionEvent)
    case redraw
    case quit
}
