import ArgumentParser
import Foundation
import InboxModel
import Ingest
import IngestPipeline
import Store

struct IngestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Read messages from files (or - for standard input) into the inbox.",
        discussion: """
            Formats: jsonl and csv (Rounds' own records), meta (Meta webhook payloads), \
            x (X API v2 response bodies), gbp (Google Business Profile reviews); auto tells \
            them apart from the content, record by record. Bad records are reported as \
            FILE:LINE: reason, kept in the inbox, and the rest of the file is still read.
            Exit status: 0 all ingested, 1 something was rejected, 2 usage error.
            """
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var policy: PolicyOptions

    @Option(help: "auto, jsonl, csv, meta, x or gbp.")
    var format: String = "auto"

    @Option(help: ArgumentHelp("Messages per transaction.", visibility: .hidden))
    var batch: Int = Ingester.defaultBatchSize

    @Argument(help: ArgumentHelp("Files to read; - reads standard input.", valueName: "FILE"))
    var files: [String]

    func validate() throws {
        guard InputFormat(rawValue: format) != nil else {
            throw ValidationError("unknown --format '\(format)'; use one of \(InputFormat.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard batch > 0 else { throw ValidationError("--batch must be positive") }
    }

    func run() throws {
        let inbox = try store.open()
        let published = try PublishedPolicies.folder(inbox, option: policy.policies)
        defer { PublishedPolicies.cleanUp(published) }
        let policies = try published.map { try PolicyCLI.loadPolicies($0.path) } ?? policy.load()
        try TeamFile.adoptOnce(inbox, policies: policies.directory)
        try TeamFile.checkChosenPolicies(inbox, option: policy.policies, directory: policies.directory, command: "ingest")
        var ingester = Ingester(inbox: inbox, batchSize: batch, classify: IngestClassifier.make(policies))
        var unreadable = 0
        for file in files {
            let handle: FileHandle
            if file == "-" {
                handle = FileHandle.standardInput
            } else {
                var isDir: ObjCBool = false
                if FileManager.default.fileExists(atPath: file, isDirectory: &isDir), isDir.boolValue {
                    report("\(file): is a folder; name the files in it (for example \(file)/*.json)")
                    unreadable += 1
                    continue
                }
                guard let h = FileHandle(forReadingAtPath: file) else {
                    report("\(file): cannot read: \(String(cString: strerror(errno)))")
                    unreadable += 1
                    continue
                }
                handle = h
            }
            let name = file == "-" ? "<stdin>" : file
            let before = ingester.counts.total
            try ingester.ingest(IngestReader(name: name, handle: handle, format: InputFormat(rawValue: format) ?? .auto))
            if ingester.counts.total == before {
                report("\(name): no messages in it")
            }
        }
        try ingester.finish()
        let c = ingester.counts
        var summary = "ingested \(c.new) new, \(c.updated) updated, \(c.duplicates) duplicates, \(c.rejected) rejected"
        if c.skipped > 0 { summary += ", \(c.skipped) skipped (events without a message)" }
        print(summary)
        if c.rejected > 0 || unreadable > 0 { throw ExitCode(1) }
    }
}

/// One line on standard error. Reasons quote the input ("found \"...\"", JSON paths), which is
/// untrusted: control characters and bidi controls are shown as `\u{X}`, never sent raw.
func report(_ line: String) {
    FileHandle.standardError.write(Data((UntrustedText.line(line) + "\n").utf8))
}
