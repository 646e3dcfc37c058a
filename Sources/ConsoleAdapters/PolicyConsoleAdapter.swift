import Console
import Foundation
import InboxModel
import Store
import Policy

/// The console's view of the policies: templates, removal reasons, escalation and the
/// reply guard, answered from the loaded `PolicySet`.
public final class PolicyConsoleAdapter: ConsolePolicy {
    public let policies: PolicySet
    let replyGuard: ReplyGuard

    public init(_ policies: PolicySet) {
        self.policies = policies
        replyGuard = ReplyGuard(policies: policies)
    }

    public var organisationName: String { policies.organization.name }
    public var undoWindowSeconds: Int { policies.organization.replyUndoSeconds }

    public func templates(for message: MessageDetail) -> [RenderedReply] {
        var c = message.classification
        if c.language == "und" { c.language = message.language }
        return policies.templates(for: c, kind: message.row.kind).enumerated().map { i, r in
            RenderedReply(templateID: r.templateID, title: r.title, text: r.text, recommended: i == 0 && c.template == r.templateID)
        }
    }

    public func removalReasons(for message: MessageDetail) -> (reasons: [RemovalReason], preselected: Int) {
        let reasons = policies.removalReasons
        // Pre-select the reason the message's most urgent raised flag calls for.
        var code: String?
        for hit in message.classification.flags.sorted(by: { $0.flag < $1.flag }) where hit.decision >= .flag {
            switch hit.flag {
            case .offensive: code = policies.removalReason(forCategory: hit.category ?? "profane")?.code
            case .spam: code = policies.removalReason(forCategory: "spam")?.code
            case .phiExposure: code = policies.removalReason(forCategory: "phi_exposure")?.code
            case .misinformation: code = policies.removalReason(forCategory: "misinformation")?.code
            default: continue
            }
            if code != nil { break }
        }
        return (reasons, code.flatMap { c in reasons.firstIndex { $0.code == c } } ?? 0)
    }

    public func escalationContact(for message: MessageDetail) -> String {
        let top = message.classification.flags.sorted { $0.flag < $1.flag }.first?.flag ?? .reviewFeedback
        return policies.escalation[top] ?? policies.escalation.values.sorted().first ?? "Lead on duty"
    }

    public func checkReply(_ text: String, to message: MessageDetail, visibility: Visibility) -> [GuardViolation] {
        replyGuard.check(reply: text, original: message.text, authorName: message.authorName,
                         platform: message.row.platform, isPublic: visibility == .public)
    }
}

/// The console's policies, loading on another thread: the first screen needs only the
/// organisation, which is read at once. `wait()` returns when the rest is loaded (or throws
/// its error); every other answer waits for it too.
public final class DeferredConsolePolicy: ConsolePolicy, @unchecked Sendable {
    private let organization: Organization
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var result: Result<PolicyConsoleAdapter, Error>?

    public init(directory: URL, organization: Organization) {
        self.organization = organization
        Thread.detachNewThread { [self] in
            let r = Result { PolicyConsoleAdapter(try PolicySet.load(from: directory)) }
            lock.withLock { result = r }
            done.signal()
        }
    }

    public var isLoaded: Bool { lock.withLock { result != nil } }

    /// The loaded policies; blocks until they are.
    @discardableResult
    public func wait() throws -> PolicyConsoleAdapter {
        if let r = lock.withLock({ result }) { return try r.get() }
        done.wait()
        done.signal()  // later callers pass straight through
        return try lock.withLock { result! }.get()
    }

    public var organisationName: String { organization.name }
    public var undoWindowSeconds: Int { organization.replyUndoSeconds }
    public func templates(for message: MessageDetail) -> [RenderedReply] { (try? wait())?.templates(for: message) ?? [] }
    public func removalReasons(for message: MessageDetail) -> (reasons: [RemovalReason], preselected: Int) {
        (try? wait())?.removalReasons(for: message) ?? ([], 0)
    }
    public func escalationContact(for message: MessageDetail) -> String { (try? wait())?.escalationContact(for: message) ?? "Lead on duty" }
    public func checkReply(_ text: String, to message: MessageDetail, visibility: Visibility) -> [GuardViolation] {
        // No reply leaves unchecked: without the guard, say so instead of passing it.
        guard let loaded = try? wait() else { return [GuardViolation(code: "policies_unavailable", message: "The policies could not be loaded; no reply can be checked.")] }
        return loaded.checkReply(text, to: message, visibility: visibility)
    }
}
