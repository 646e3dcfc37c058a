import ArgumentParser
import ConsoleAdapters
import Foundation
import Ingest
import IngestPipeline
import Policy
import SafeFiles
import Store

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Build a demo inbox (about 200 realistic messages) and open the console on it.",
        discussion: """
            The demo inbox is rebuilt each time at --db (default ./rounds-demo.sqlite), with \
            its times moved so the newest message arrived a few minutes ago. A file that is \
            not a demo inbox is never overwritten.
            """
    )

    @Option(name: .long, help: ArgumentHelp("Where to build the demo inbox.", valueName: "PATH"))
    var db: String = "rounds-demo.sqlite"

    @OptionGroup var policy: PolicyOptions

    @Flag(help: "Build the inbox and print its stats without opening the console.")
    var noConsole = false

    /// The demo file's newest message is at 2026-01-10T11:58Z; times are moved relative to this.
    static let anchor = Date(timeIntervalSince1970: 1_768_046_400) // 2026-01-10T12:00:00Z

    func run() throws {
        let policies = try policy.load()
        try Self.build(at: db, policies: policies)
        let inbox = try InboxDatabase(path: db)
        if noConsole {
            try StatsCommand.print(inbox)
            return
        }
        try ConsoleCommand.open(inbox: inbox, policy: PolicyConsoleAdapter(policies), organization: policies.organization,
                                moderator: Moderator.login, role: try inbox.role(of: Moderator.login), policyVersion: { policies.version })
    }

    /// Builds a fresh demo inbox at `path`, refusing to replace a file that is not a demo.
    static func build(at path: String, policies: PolicySet) throws {
        let fm = FileManager.default
        if fm.fileExists(atPath: path) {
            let existing = try InboxDatabase(path: path)
            guard try existing.setting("demo") == "1" else {
                throw UserError("\(path) exists and is not a demo inbox; choose another --db for the demo")
            }
            for suffix in ["", "-wal", "-shm"] { try? fm.removeItem(atPath: path + suffix) }
        }
        let inbox = try InboxDatabase(path: path)
        try inbox.setSetting("demo", "1")
        // The demo makes whoever runs it its lead, so every action can be tried.
        try inbox.makeFirstLead(Moderator.login)
        // A new folder of an unpredictable name: nobody else can have prepared it.
        let dir = URL(fileURLWithPath: try SafeFiles.makePrivateDirectory(prefix: "rounds-demo"))
        defer { try? fm.removeItem(at: dir) }
        let file = dir.appendingPathComponent("demo-inbox.jsonl")
        try Data(demoInboxJSONL.utf8).write(to: file)
        guard let handle = FileHandle(forReadingAtPath: file.path) else { throw UserError("cannot read the demo inbox at \(file.path)") }
        var ingester = Ingester(inbox: inbox, classify: IngestClassifier.make(policies))
        ingester.timeShift = Date().addingTimeInterval(-60).timeIntervalSince(anchor)
        try ingester.ingest(IngestReader(name: "demo-inbox.jsonl", handle: handle, format: .jsonl))
        try ingester.finish()
        if ingester.counts.rejected > 0 { throw UserError("the demo inbox has \(ingester.counts.rejected) bad records") }
    }
}
