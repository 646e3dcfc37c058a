import ArgumentParser

struct ServeBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench", abstract: "Benchmark the webhook endpoint.")
    func run() async throws {}
}
