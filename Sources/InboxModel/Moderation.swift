/// What a moderator may do; the console's core and the store refuse the rest.
public enum Role: String, CaseIterable, Sendable {
    case lead, moderator, trainee, readonly

    public func may(_ p: Permission) -> Bool {
        switch self {
        case .lead: true
        case .moderator: ![.delete, .freeReplyInTemplateLanes, .overrideGuard, .export, .manageDeliveries].contains(p)
        case .trainee: [.read, .tag, .note].contains(p)
        case .readonly: [.read, .tag].contains(p)
        }
    }
}

public enum Permission: String, Sendable {
    case read, tag, note, reply, freeReplyInTemplateLanes, hide, delete, escalate, done, claim, snooze, undo,
         overrideGuard, export, manageDeliveries

    /// Plain words for a refusal: "Your role (trainee) cannot <phrase>."
    public var phrase: String {
        switch self {
        case .read: "read messages"
        case .tag: "tag messages"
        case .note: "add notes"
        case .reply: "reply"
        case .freeReplyInTemplateLanes: "write free-text replies in the Urgent and Symptoms lanes (templates only)"
        case .hide: "hide messages"
        case .delete: "delete messages (leads only)"
        case .escalate: "escalate"
        case .done: "mark messages done"
        case .claim: "claim messages"
        case .snooze: "snooze messages"
        case .undo: "undo actions"
        case .overrideGuard: "override the reply guard (leads only)"
        case .export: "export (leads only)"
        case .manageDeliveries: "retry or cancel deliveries (leads only)"
        }
    }
}

/// A removal reason from the commenting policy (`Policies/commenting.yml`).
public struct RemovalReason: Codable, Sendable, Equatable {
    public var code: String
    public var label: String
    /// `hide` or `delete`: what the policy does with a message removed for this reason.
    public var action: String
    public var description: String

    public init(code: String, label: String, action: String = "hide", description: String = "") {
        self.code = code; self.label = label; self.action = action; self.description = description
    }
}

/// Why an outgoing reply may not be sent as written.
public struct GuardViolation: Sendable, Equatable, CustomStringConvertible {
    /// phi_identifier, name_with_health_info, confirms_patient, names_clinician, visit_date,
    /// too_long, private_in_public, link_not_allowed
    public var code: String
    /// Plain words for the moderator ("The reply mentions a date (Nov 3) ...").
    public var message: String
    /// `[start, end)` in Unicode scalars of the reply.
    public var span: [Int]

    public init(code: String, message: String, span: [Int] = []) {
        self.code = code; self.message = message; self.span = span
    }

    public var description: String { "\(code) [\(span.first ?? 0), \(span.last ?? 0)): \(message)" }
}

/// One reply the policy offers for a message, rendered with the organisation's details and in
/// the message's language.
public struct RenderedReply: Sendable, Equatable {
    public var templateID: String
    public var title: String
    public var text: String
    /// The one the classifier recommends (shown first, as 1).
    public var recommended: Bool

    public init(templateID: String, title: String, text: String, recommended: Bool = false) {
        self.templateID = templateID; self.title = title; self.text = text; self.recommended = recommended
    }
}
