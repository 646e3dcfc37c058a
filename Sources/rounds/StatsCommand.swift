import ArgumentParser
import Foundation
import InboxModel
import Store

struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Counts by platform, kind, state and lane, and rejected input records."
    )

    @OptionGroup var store: StoreOptions

    @Flag(help: "Also list the most recent rejected records with their reasons.")
    var rejected = false

    func run() throws {
        try Self.print(try store.open(), rejected: rejected)
    }

    static func print(_ inbox: InboxDatabase, rejected: Bool = false) throws {
        let s = try inbox.stats()
        Swift.print("inbox \(inbox.path): \(s.messages) messages (schema v\(s.schemaVersion))")
        func section(_ title: String, _ rows: [(String, Int)]) {
            guard !rows.isEmpty else { return }
            Swift.print("\(title):")
            for (k, v) in rows { Swift.print("  \(k.padding(toLength: 18, withPad: " ", startingAt: 0)) \(v)") }
        }
        section("by platform", s.byPlatform)
        section("by kind", s.byKind)
        section("by state", s.byState)
        section("open by lane", s.byLane)
        section("flagged", s.byFlag)
        Swift.print("edited on platform: \(s.editedMessages)")
        Swift.print("removed on platform: \(s.removedOnPlatform)")
        Swift.print("hidden on platform: \(s.hiddenOnPlatform)")
        Swift.print("with invalid UTF-8 replaced: \(s.invalidUTF8)")
        Swift.print("rejected records: \(s.rejectedRecords)")
        if rejected {
            for r in try inbox.rejectedRecords() {
                var line = "  \(r.sourceFile):\(r.line): \(r.reason)"
                if let l = r.location, !l.isEmpty { line += " (at \(l))" }
                Swift.print(UntrustedText.line(line))
            }
        }
    }
}
