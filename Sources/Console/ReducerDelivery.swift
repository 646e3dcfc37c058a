import Foundation
import InboxModel

/// A lead's answer to a delivery the platform refused: send it again, or give up on it.
extension Reducer {
    /// Acts on the selected message's newest failed or retrying delivery, as the detail shows it.
    static func leadOnDelivery(_ s: inout ConsoleState, _ command: Command) -> [Effect] {
        guard allowed(&s, .manageDeliveries), let ctx = needContext(&s) else { return [] }
        guard let d = ctx.detail.deliveries.last(where: \.needsLead) else {
            say(&s, "Nothing to \(command == .retryDelivery ? "send again" : "cancel"): no delivery of this message failed")
            return []
        }
        return [.perform(command == .retryDelivery ? .retryDelivery(outbox: d.outboxID) : .cancelDelivery(outbox: d.outboxID))]
    }
}
