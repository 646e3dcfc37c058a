import Foundation
import Yams

/// Who `rounds serve` pages when an imminent emergency waits unclaimed, and after how long
/// (`organization.yml`: `on_call`, `page_after_minutes`). Names and kinds only: the URLs and
/// routing keys are secrets and live in the server's connections file, under the same names,
/// because this file is published into the inbox, where every moderator can read it.
public struct OnCall: Sendable, Equatable {
    public struct Target: Sendable, Equatable {
        public var name: String
        /// slack | teams | pagerduty | webhook
        public var kind: String
        public init(name: String, kind: String) {
            self.name = name
            self.kind = kind
        }
    }

    public static let kinds = ["slack", "teams", "pagerduty", "webhook"]
    public static let defaultPageAfterMinutes = 5.0

    public var targets: [Target]
    /// Minutes an imminent emergency may wait unclaimed before the page; fractions allowed.
    public var pageAfterMinutes: Double

    public init(targets: [Target] = [], pageAfterMinutes: Double = OnCall.defaultPageAfterMinutes) {
        self.targets = targets
        self.pageAfterMinutes = pageAfterMinutes
    }

    /// A target's name is stored in the inbox's `page.targets`, comma-separated, and shown in
    /// audit rows: printable, no commas, at most 80 characters.
    public static func nameProblem(_ name: String) -> String? {
        if name.trimmingCharacters(in: .whitespaces).isEmpty { return "is empty" }
        if name.count > 80 { return "is longer than 80 characters" }
        if name.contains(",") { return "holds a comma" }
        if name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0.properties.generalCategory == .format }) {
            return "holds a control character"
        }
        return nil
    }

    /// Reads `on_call` and `page_after_minutes` from organization.yml (schema already checked).
    init(_ f: YAMLFields) throws {
        let doc = f.doc
        if let after = f.node.mapping?.first(where: { $0.key.string == "page_after_minutes" }) {
            let line = after.key.mark?.line ?? 1
            // Text, not Yams's Double: it would also take ".inf" and ".nan".
            guard let s = after.value.scalar?.string, let m = Double(s), m.isFinite, m > 0, m <= 1440 else {
                throw PolicyError(file: doc.path, line: line, message: "page_after_minutes must be a number of minutes above 0 and at most 1440 (for example 5 or 0.5)")
            }
            pageAfterMinutes = m
        } else {
            pageAfterMinutes = Self.defaultPageAfterMinutes
        }
        targets = []
        guard let list = f.node.mapping?.first(where: { $0.key.string == "on_call" })?.value, list.null == nil else { return }
        guard let items = list.sequence else {
            throw PolicyError(file: doc.path, line: list.mark?.line ?? 1, message: "on_call should be a list of {name, kind}")
        }
        for item in items {
            let line = item.mark?.line ?? 1
            func value(_ key: String) throws -> (String, Int) {
                guard let p = item.mapping?.first(where: { $0.key.string == key }) else {
                    throw PolicyError(file: doc.path, line: line, message: "on_call: each target needs '\(key)'")
                }
                return (p.value.scalar?.string ?? "", p.value.mark?.line ?? line)
            }
            let (name, nameLine) = try value("name")
            if let problem = Self.nameProblem(name) {
                throw PolicyError(file: doc.path, line: nameLine, message: "on_call: the name '\(name.prefix(80))' \(problem)")
            }
            if targets.contains(where: { $0.name == name }) {
                throw PolicyError(file: doc.path, line: nameLine, message: "on_call: '\(name)' is named twice")
            }
            let (kind, kindLine) = try value("kind")
            guard Self.kinds.contains(kind) else {
                throw PolicyError(file: doc.path, line: kindLine,
                                  message: "on_call: kind '\(kind.prefix(40))' is not one of \(Self.kinds.joined(separator: ", "))")
            }
            targets.append(Target(name: name, kind: kind))
        }
    }
}
