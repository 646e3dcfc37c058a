import Foundation

extension Connections {
    /// Where a page goes (`paging.targets[]`). organization.yml names the targets on call;
    /// this file holds what reaching them takes, all of it secret but PagerDuty's public URL.
    public struct PagingTarget: Sendable {
        public enum Kind: String, Sendable, CaseIterable {
            case slack, teams, pagerduty, webhook
        }
        public var name: String
        public var kind: Kind
        /// Slack, Teams and the generic webhook: the URL is the credential.
        public var webhookURL: Secret?
        /// PagerDuty: the Events API v2 enqueue URL (public) and the integration's routing key.
        public var eventsURL: String?
        public var routingKey: Secret?

        /// Where requests go, for sending only: for a webhook this reveals the secret.
        public func endpoint() -> String { eventsURL ?? webhookURL?.reveal() ?? "" }

        /// The host only (a webhook URL's path is its secret), for `connections check`.
        public var shownEndpoint: String {
            if let eventsURL { return eventsURL }
            return URL(string: webhookURL?.reveal() ?? "")?.host ?? "?"
        }
    }

    public static let defaultPagerDutyURL = "https://events.pagerduty.com/v2/enqueue"

    /// Reads `paging.targets`; names must be unique (organization.yml refers to them).
    static func pagingTargets(_ top: Fields) throws -> [PagingTarget] {
        guard let paging = try top.mapping("paging", allowed: ["targets"]) else { return [] }
        var targets: [PagingTarget] = []
        for t in try paging.list("targets", allowed: ["name", "kind", "url", "routing_key"]) {
            let name = try t.text("name")
            if let problem = pagingNameProblem(name) { throw t.error("name", "'\(name.prefix(80))' \(problem)") }
            if targets.contains(where: { $0.name == name }) { throw t.error("name", "'\(name)' is named twice") }
            guard let kind = PagingTarget.Kind(rawValue: try t.text("kind")) else {
                throw t.error("kind", "should be one of \(PagingTarget.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            var target = PagingTarget(name: name, kind: kind)
            if kind == .pagerduty {
                target.routingKey = try t.secret("routing_key")
                target.eventsURL = try t.url("url", default: defaultPagerDutyURL)
            } else {
                if t.has("routing_key") { throw t.error("routing_key", "only a pagerduty target has a routing_key") }
                target.webhookURL = try t.secretURL("url")
            }
            targets.append(target)
        }
        if targets.isEmpty { throw paging.error("targets", "list at least one target: - name: ..., kind: ..., url: ...") }
        return targets
    }

    /// The same rule as organization.yml's `on_call` names (`OnCall.nameProblem`): the inbox
    /// keeps them comma-separated.
    static func pagingNameProblem(_ name: String) -> String? {
        if name.count > 80 { return "is longer than 80 characters" }
        if name.contains(",") { return "holds a comma" }
        if name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0.properties.generalCategory == .format }) {
            return "holds a control character"
        }
        return nil
    }
}
