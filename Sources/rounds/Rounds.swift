import ArgumentParser
import Foundation
import InboxModel
import SafeFiles

@main
struct Rounds: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rounds",
        abstract: "Keyboard-driven moderation console for a healthcare organisation's social media.",
        subcommands: [
            ConsoleCommand.self,
            InitCommand.self,
            TeamCommand.self,
            IngestCommand.self,
            StatsCommand.self,
            ClassifyCommand.self,
            PolicyCommand.self,
            ReclassifyCommand.self,
            OutboxCommand.self,
            AuditCommand.self,
            ExportCommand.self,
            ReportCommand.self,
            DemoCommand.self,
            BenchCommand.self,
            ServeCommand.self,
            DeliverCommand.self,
            ConnectionsCommand.self,
        ],
        defaultSubcommand: ConsoleCommand.self
    )

    /// Exit statuses: 0 success, 1 a failure or rejected input, 2 a usage error.
    static func main() {
        do {
            if let launch = ConsoleLaunch(Array(CommandLine.arguments.dropFirst())) {
                try ConsoleCommand.start(launch)
                return
            }
            var command = try parseAsRoot()
            try command.run()
        } catch let e as UserError {
            let lines = e.description.split(separator: "\n", omittingEmptySubsequences: false).map { UntrustedText.line(String($0)) }
            FileHandle.standardError.write(Data("rounds: \(lines.joined(separator: "\n"))\n".utf8))
            Foundation.exit(e.exitCode)
        } catch let e as FileError {
            FileHandle.standardError.write(Data("rounds: \(UntrustedText.line(e.description))\n".utf8))
            Foundation.exit(1)
        } catch let e as ExitCode {
            Foundation.exit(e.rawValue)
        } catch {
            let code = exitCode(for: error)
            if code == .success || code.rawValue == 0 {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            FileHandle.standardError.write(Data("\(fullMessage(for: error))\n".utf8))
            // ArgumentParser's usage errors (EX_USAGE, 64) are reported as 2, like most tools.
            Foundation.exit(code.rawValue == 64 ? 2 : code.rawValue)
        }
    }
}
