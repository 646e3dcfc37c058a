import Console
import Foundation
import InboxModel
import Policy

/// The console's view of the policies: templates, removal reasons, escalation and the
/// reply guard, answered from the loaded `PolicySet`.
final class ConsolePolicyAdapter: ConsolePolicy {
    let policies: PolicySet
    let replyGuard: ReplyGuard

    init(_ policies: PolicySet) {
        self.policies = policies
        replyGuard = ReplyGuard(policies: policies)
    }

    var organisationName: String { policies.organization.name }
    var undoWindowSeconds: Int { policies.organization.replyUndoSeconds }

    func templates(for message: MessageDetail) -> [ConsoleReplyTemplate] {
        var c = message.classification
        if c.language == "und" { c.language = message.language }
        return policies.templates(for: c, kind: message.row.kind).enumerated().map { i, r in
            ConsoleReplyTemplate(id: r.templateID, title: r.title, text: r.text, recommended: i == 0 && c.template == r.templateID)
        }
    }

    func removalReasons(for message: MessageDetail) -> (reasons: [ConsoleRemovalReason], preselected: Int) {
        let reasons = policies.removalReasons.map { ConsoleRemovalReason(code: $0.code, label: $0.label) }
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

    func escalationContact(for message: MessageDetail) -> String {
        let top = message.classification.flags.sorted { $0.flag < $1.flag }.first?.flag ?? .reviewFeedback
        return policies.escalation[top] ?? policies.escalation.values.sorted().first ?? "Lead on duty"
    }

    func checkReply(_ text: String, to message: MessageDetail, visibility: Visibility) -> [ConsoleGuardViolation] {
        replyGuard.check(reply: text, original: message.text, authorName: message.authorName,
                         platform: message.row.platform, isPublic: visibility == .public)
            .map { ConsoleGuardViolation(rule: $0.code, explanation: $0.message) }
    }
}

/// The console's policies, loading on another thread: the first screen needs only the
/// organisation, which is read at once. `wait()` returns when the rest is loaded (or throws
/// its error); every other answer waits for it too.
final class DeferredConsolePolicy: ConsolePolicy, @unchecked Sendable {
    private let organization: Organization
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var result: Result<ConsolePolicyAdapter, Error>?

    init(directory: URL, organization: Organization) {
        self.organization = organization
        Thread.detachNewThread { [self] in
            let r = Result { ConsolePolicyAdapter(try PolicySet.load(from: directory)) }
            lock.withLock { result = r }
            done.signal()
        }
    }

    var isLoaded: Bool { lock.withLock { result != nil } }

    /// The loaded policies; blocks until they are.
    @discardableResult
    func wait() throws -> ConsolePolicyAdapter {
        if let r = lock.withLock({ result }) { return try r.get() }
        done.wait()
        done.signal()  // later callers pass straight through
        return try lock.withLock { result! }.get()
    }

    var organisationName: String { organization.name }
    var undoWindowSeconds: Int { organization.replyUndoSeconds }
    func templates(for message: MessageDetail) -> [ConsoleReplyTemplate] { (try? wait())?.templates(for: message) ?? [] }
    func removalReasons(for message: MessageDetail) -> (reasons: [ConsoleRemovalReason], preselected: Int) {
        (try? wait())?.removalReasons(for: message) ?? ([], 0)
    }
    func escalationContact(for message: MessageDetail) -> String { (try? wait())?.escalationContact(for: message) ?? "Lead on duty" }
    func checkReply(_ text: String, to message: MessageDetail, visibility: Visibility) -> [ConsoleGuardViolation] {
        // No reply leaves unchecked: without the guard, say so instead of passing it.
        guard let loaded = try? wait() else { return [ConsoleGuardViolation(rule: "policies_unavailable", explanation: "The policies could not be loaded; no reply can be checked.")] }
        return loaded.checkReply(text, to: message, visibility: visibility)
    }
}
