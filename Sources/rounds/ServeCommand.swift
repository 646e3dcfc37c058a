import ArgumentParser
import Connections
import Foundation
import InboxModel

/// `rounds serve` and `rounds bench serve` run the `rounds-serve` executable built beside this
/// one: the server's libraries (NIO, Hummingbird) never load with the console.
enum ServerExecutable {
    static func exec(_ arguments: [String]) throws -> Never {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let path = URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent("rounds-serve").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw UserError("the server is not installed: \(path) is missing. Build it with `swift build -c release` "
                            + "(builds rounds and rounds-serve) and install both side by side")
        }
        let argv = ["rounds-serve"] + arguments
        var cargs = argv.map { strdup($0) } + [nil]
        execv(path, &cargs)
        throw UserError("cannot start \(path): \(String(cString: strerror(errno)))")
    }
}

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Receive messages live from Meta, X and Google (see docs/operations.md).",
        discussion: "rounds serve [--db PATH] [--connections FILE] [--listen HOST:PORT]; rounds serve --help for more."
    )

    @Argument(parsing: .captureForPassthrough, help: ArgumentHelp("Options of the server.", valueName: "OPTIONS"))
    var arguments: [String] = []

    func run() throws { try ServerExecutable.exec(["serve"] + arguments) }
}

struct DeliverCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deliver",
        abstract: "Deliver queued replies, hides and deletes to the platforms (rounds serve does it too).",
        discussion: "rounds deliver [--db PATH] [--connections FILE] [--once]; rounds deliver --help for more."
    )

    @Argument(parsing: .captureForPassthrough, help: ArgumentHelp("Options of the delivery worker.", valueName: "OPTIONS"))
    var arguments: [String] = []

    func run() throws { try ServerExecutable.exec(["deliver"] + arguments) }
}

struct BenchDeliverCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deliver",
        abstract: "The delivery worker against a fake platform: deliveries/s, undo end to sent, duplicates after kill -9."
    )

    @Argument(parsing: .captureForPassthrough, help: ArgumentHelp("Options of the benchmark.", valueName: "OPTIONS"))
    var arguments: [String] = []

    func run() throws { try ServerExecutable.exec(["bench-deliver"] + arguments) }
}

struct BenchServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Signed webhook POSTs on loopback: requests/s, time to the 200 and to the console."
    )

    @Argument(parsing: .captureForPassthrough, help: ArgumentHelp("Options of the benchmark.", valueName: "OPTIONS"))
    var arguments: [String] = []

    func run() throws { try ServerExecutable.exec(["bench"] + arguments) }
}

struct ConnectionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connections",
        abstract: "Check the connections file of rounds serve.",
        subcommands: [ConnectionsCheckCommand.self]
    )
}

struct ConnectionsCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate the connections file offline and print what is configured (never a secret)."
    )

    @Option(help: ArgumentHelp("The connections file (else $ROUNDS_CONNECTIONS).", valueName: "FILE"))
    var connections: String?

    func run() throws {
        guard let path = connections ?? ProcessInfo.processInfo.environment["ROUNDS_CONNECTIONS"].flatMap({ $0.isEmpty ? nil : $0 }) else {
            throw UserError("name the connections file: --connections FILE or ROUNDS_CONNECTIONS", exitCode: 2)
        }
        do {
            let c = try Connections.load(path: path)
            print("\(UntrustedText.line(path)): ok")
            for line in c.summary { print("  " + UntrustedText.line(line)) }
        } catch let e as ConnectionsError {
            throw UserError(e.description)
        }
    }
}
