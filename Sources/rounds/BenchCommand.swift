import ArgumentParser

/// `rounds bench ...`: reproducible measurements and the synthetic inboxes they run on.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks and the seeded generator of synthetic inboxes.",
        subcommands: [GenerateCommand.self, BenchIngestCommand.self, BenchClassifyCommand.self, BenchShiftCommand.self]
    )
}
