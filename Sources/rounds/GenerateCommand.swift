import ArgumentParser
import Foundation

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write a seeded synthetic inbox as Rounds JSON Lines (the same seed, the same file)."
    )

    @Option(help: "How many messages.") var messages: Int = 1_000_000
    @Option(help: "The seed.") var seed: UInt64 = 1
    @Option(name: .shortAndLong, help: "Output file.") var output: String
    @Option(help: "Prefix of the message ids (a second file for the same inbox needs another).") var idPrefix: String = "syn"

    func validate() throws {
        guard messages > 0 else { throw ValidationError("--messages must be positive") }
    }

    func run() throws {
        guard FileManager.default.createFile(atPath: output, contents: nil, attributes: [.posixPermissions: 0o640]),
              let out = FileHandle(forWritingAtPath: output) else {
            throw UserError("cannot write \(output): \(String(cString: strerror(errno)))")
        }
        defer { try? out.close() }
        var gen = SyntheticInbox(seed: seed, idPrefix: idPrefix)
        var buffer = ""
        buffer.reserveCapacity(1 << 20)
        for i in 0..<messages {
            buffer += gen.next(i, of: messages)
            buffer += "\n"
            if buffer.utf8.count > 1 << 20 {
                out.write(Data(buffer.utf8))
                buffer.removeAll(keepingCapacity: true)
            }
        }
        out.write(Data(buffer.utf8))
        // On disk before returning: otherwise the kernel writes the file back 30 s later, in
        // the middle of the benchmark that reads it, and stalls the inbox's commits.
        try out.synchronize()
    }
}
