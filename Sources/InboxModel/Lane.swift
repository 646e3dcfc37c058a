/// The work lane a message is triaged into: the queue bar's first six queues.
///
/// A message sits in exactly one lane, the most urgent its flags call for, so that
/// counts add up and no message is worked twice from two queues.
public enum Lane: String, Codable, CaseIterable, Sendable {
    case urgent, phi, symptoms, offensive, reviews, new
}

extension Classification {
    /// The lane this classification sends a message to. Emergencies go to Urgent at any
    /// decision, review included: a missed emergency is the worst error the product can make.
    public func lane(kind: MessageKind) -> Lane {
        if hit(.emergency) != nil { return .urgent }
        func raised(_ f: FlagName) -> Bool { (hit(f)?.decision ?? .review) >= .flag }
        if raised(.phiExposure) { return .phi }
        if raised(.symptomQuestion) { return .symptoms }
        if raised(.offensive) || raised(.spam) { return .offensive }
        if raised(.reviewFeedback) || kind == .review { return .reviews }
        return .new
    }

    /// Sort key inside a lane: imminent emergencies first, then urgent ones, then the rest.
    public var priority: Int {
        guard let e = hit(.emergency) else { return 3 }
        if e.decision == .review { return 2 }
        return e.severity == "imminent" ? 0 : 1
    }
}
