import ArgumentParser

@main
struct Rounds: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rounds",
        abstract: "Keyboard-driven moderation console for a healthcare organisation's social media.",
        subcommands: [ClassifyCommand.self, PolicyCommand.self, BenchCommand.self]
    )
}
